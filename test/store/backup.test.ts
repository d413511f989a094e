/** `accord backup` / `accord restore`: a consistent copy of a node's records while it writes, and back. */
import { strict as assert } from 'node:assert'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ledger } from '../../src/store/ledger.ts'
import { authorRecord, Roster, SigningKey } from '../../src/records/index.ts'
import { backupRecords } from '../../src/store/backup.ts'
import { federation, modelBody, seedFor, Writer } from '../fixtures.ts'
import { accord } from '../cli/run-cli.ts'

/** A data directory whose member.key is `id`'s fixture key (the one the test chains are signed with). */
function dataDirOf (path: string, id: string): string {
  mkdirSync(path, { recursive: true })
  writeFileSync(join(path, 'member.key'), JSON.stringify({ id, name: id, seed: Buffer.from(seedFor(id)).toString('base64url') }), { mode: 0o600 })
  return path
}

describe('store: backup and restore', function () {
  this.timeout(120_000)
  const fed = federation(['US', 'GB', 'JP'])
  let dir = ''
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'accord-backup-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  const fill = (ledger: Ledger, w: Writer, from: number, count: number): void => {
    for (let i = from; i < from + count; i++) {
      const origin = fed.ids[i % fed.ids.length] as string
      const a = ledger.admit(w.write(origin, 'model.register', modelBody(origin, `m-${i}`)).bytes)
      assert.equal(a.verdict, 'accept', `${a.code}: ${a.message}`)
    }
  }

  it('copies a consistent snapshot while the ledger keeps writing; refuses to overwrite, and a missing or foreign source', async () => {
    const db = join(dir, 'records.db')
    const ledger = new Ledger({ path: db, roster: fed.roster })
    const w = new Writer(fed)
    fill(ledger, w, 0, 3000)
    const out = join(dir, 'backup.db')
    let progressed = 0
    const running = backupRecords(db, out, () => { progressed++ })
    // The node goes on writing while the backup runs on its own thread.
    let written = 3000
    while (!existsSync(out)) {
      fill(ledger, w, written, 20)
      written += 20
      await new Promise(resolve => setImmediate(resolve))
      if (written > 20_000) break
    }
    const r = await running
    assert.ok(r.records >= 3000 && r.records <= written, `${r.records} records: at least those before, at most all`)
    assert.equal(r.chains, 3)
    assert.ok(progressed > 0, 'progress reported')
    // The copy is a ledger of its own: every record it holds is one the source holds, with no gap.
    const copy = new Ledger({ path: out, roster: fed.roster })
    assert.equal(copy.size, r.records)
    assert.equal(copy.pendingCount, 0, 'no record past a gap: a snapshot, not a torn copy')
    for (const [origin, tip] of Object.entries(copy.vector())) assert.ok(tip.seq <= (ledger.vector()[origin]?.seq ?? 0))
    copy.close()
    ledger.close()
    assert.deepEqual(readdirSync(dir).filter(f => f.includes('partial')), [], 'no partial file left')

    await assert.rejects(backupRecords(db, out), /exists: choose another name/)
    // Two backups to one new name at once: one writes it, the other says so; neither overwrites.
    const both = await Promise.allSettled([backupRecords(db, join(dir, 'same.db')), backupRecords(db, join(dir, 'same.db'))])
    assert.equal(both.filter(r => r.status === 'fulfilled').length, 1)
    const lost = both.find(r => r.status === 'rejected') as PromiseRejectedResult
    assert.match(String(lost.reason), /same\.db (was written by another backup meanwhile|exists): choose another name/)
    await assert.rejects(backupRecords(db, join(dir, 'no-such-dir', 'b.db')), /no directory .*no-such-dir to write/)
    await assert.rejects(backupRecords(join(dir, 'none.db'), join(dir, 'b2.db')), /no records at .*none\.db/)
    writeFileSync(join(dir, 'junk.db'), 'not a database at all, just text that is long enough to be read as a header '.repeat(20))
    await assert.rejects(backupRecords(join(dir, 'junk.db'), join(dir, 'b3.db')), /is not a records database/)
    assert.equal(existsSync(join(dir, 'b3.db')), false)
  })

  it('accord backup / restore: restore is refused while the node runs, keeps the records it replaces, and the node reopens the backup', async () => {
    const data = dataDirOf(join(dir, 'gb'), 'GB')
    const ledger = new Ledger({ path: join(data, 'records.db'), roster: fed.roster })
    const w = new Writer(fed)
    fill(ledger, w, 0, 300)
    const before = ledger.digest()
    const backup = join(dir, 'gb-backup.db')
    const made = await accord(['backup', '--data', data, '--out', backup])
    assert.equal(made.code, 0, made.stderr)
    assert.match(made.stdout, /^300 records of 3 chains \(.* MB\) backed up to .*gb-backup\.db in .* s, checked/)
    fill(ledger, w, 300, 50)
    ledger.close()

    // A node holding the data directory (here: this process's pid in its lock) refuses a restore.
    writeFileSync(join(data, 'node.lock'), String(process.pid))
    const refused = await accord(['restore', '--data', data, '--from', backup])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /is in use by process/)
    rmSync(join(data, 'node.lock'))

    const restored = await accord(['restore', '--data', data, '--from', backup])
    assert.equal(restored.code, 0, restored.stderr)
    assert.match(restored.stdout, /300 records of 3 chains restored from .*; the records there before are kept in .*records\.db\.before-restore-/)
    const back = new Ledger({ path: join(data, 'records.db'), roster: fed.roster })
    assert.equal(back.size, 300)
    assert.equal(back.digest(), before)
    back.close()
    const aside = readdirSync(data).find(f => f.startsWith('records.db.before-restore-') && !f.endsWith('-wal') && !f.endsWith('-shm'))
    const old = new Ledger({ path: join(data, aside!), roster: fed.roster })
    assert.equal(old.size, 350, 'the replaced records are kept, all of them')
    old.close()
  })

  it('restore reads a backup through its WAL (records moved aside after a crash still hold some there), and backups are 0600', async () => {
    const data = dataDirOf(join(dir, 'jp'), 'JP')
    const live = join(dir, 'live.db')
    const ledger = new Ledger({ path: live, roster: fed.roster })
    fill(ledger, new Writer(fed), 0, 200)
    // A crash: the file and its WAL as they are while the ledger is open (recent commits only in the WAL).
    const crashed = join(dir, 'crashed.db')
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(live + suffix)) copyFileSync(live + suffix, crashed + suffix)
    ledger.close()
    rmSync(crashed + '-shm', { force: true })
    const restored = await accord(['restore', '--data', data, '--from', crashed])
    assert.equal(restored.code, 0, restored.stderr)
    assert.match(restored.stdout, /^200 records of 3 chains restored/)
    const back = new Ledger({ path: join(data, 'records.db'), roster: fed.roster })
    assert.equal(back.size, 200, 'every record, those in the WAL too')
    back.close()
    assert.equal(statSync(join(data, 'records.db')).mode & 0o777, 0o600)
    const out = join(dir, 'b.db')
    await backupRecords(join(data, 'records.db'), out)
    assert.equal(statSync(out).mode & 0o777, 0o600)
  })

  it('restore refuses a backup whose chain of this member is signed with another key, or that shares nothing with the records it replaces; --force overrides', async () => {
    // Another federation's backup, whose GB signs with a key that is not ours.
    const otherFed = join(dir, 'other.db')
    const strangerKey = SigningKey.generate()
    const theirs = new Ledger({ path: otherFed, roster: new Roster([{ id: 'GB', name: 'GB', publicKey: strangerKey.publicKeyB64 }]) })
    const a = theirs.admit(authorRecord(strangerKey, 'GB', undefined, 'model.register', modelBody('GB', 'x-1')).bytes)
    assert.equal(a.verdict, 'accept', a.message)
    theirs.close()
    const data = dataDirOf(join(dir, 'gb2'), 'GB')
    const refused = await accord(['restore', '--data', data, '--from', otherFed])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /looks like the wrong backup for GB: its records of GB's chain are not signed with this data directory's key.*nothing was changed; --force restores it anyway/)
    assert.equal(existsSync(join(data, 'records.db')), false)

    // No GB records in it, and nothing in common with the records it would replace.
    const ours = new Ledger({ path: join(data, 'records.db'), roster: fed.roster })
    fill(ours, new Writer(fed), 0, 1) // a US record
    ours.close()
    const unrelated = join(dir, 'unrelated.db')
    const alien = new Ledger({ path: unrelated, roster: fed.roster })
    const w = new Writer(fed)
    alien.admit(w.write('JP', 'model.register', modelBody('JP', 'jp-x'), 1_790_000_000_123).bytes)
    alien.close()
    const refused2 = await accord(['restore', '--data', data, '--from', unrelated])
    assert.equal(refused2.code, 1)
    assert.match(refused2.stderr, /shares not one record with the records it would replace/)
    const forced = await accord(['restore', '--data', data, '--from', unrelated, '--force'])
    assert.equal(forced.code, 0, forced.stderr)
  })
})
