import { strict as assert } from 'node:assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Ledger, WRITE_BEHIND_MS } from '../../src/store/ledger.ts'
import { federation, modelBody, waitFor, Writer } from '../fixtures.ts'

/** Rows on disk, as another connection (another process after a crash) sees them. */
function rowsOnDisk (path: string): number {
  const raw = new Database(path, { readonly: true })
  try {
    return raw.prepare('SELECT COUNT(*) FROM records').pluck().get() as number
  } finally {
    raw.close()
  }
}

describe('store: gossip records committed behind (admitSoon)', () => {
  const fed = federation(['US', 'GB', 'JP'])
  let dir: string
  let path: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'accord-behind-')); path = join(dir, 'records.db') })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  /** A ledger with one gossip record of `origin` committed and its next one still queued. */
  function oneCommittedOneQueued (origin: string): { ledger: Ledger, committed: string, queued: ReturnType<Writer['write']> } {
    const ledger = new Ledger({ path, roster: fed.roster })
    const w = new Writer(fed)
    const modelId = `${origin.toLowerCase()}-1`
    ledger.admitSoon(w.write(origin, 'model.register', modelBody(origin, modelId)).bytes)
    ledger.flush()
    const committed = ledger.digest()
    const queued = w.write(origin, 'model.update', { modelId, parameters: 2 })
    assert.equal(ledger.admitSoon(queued.bytes).verdict, 'accept')
    return { ledger, committed, queued }
  }

  it('applies at once, commits at flush(); a read or a transaction commits what waits first, in order', () => {
    const ledger = new Ledger({ path, roster: fed.roster })
    const w = new Writer(fed)
    const a = w.write('US', 'model.register', modelBody('US', 'us-1'))
    assert.equal(ledger.admitSoon(a.bytes).verdict, 'accept')
    // Held and folded in memory, not yet on disk.
    assert.equal(ledger.has(a.record.id), true)
    assert.notEqual(ledger.state.model('us-1'), undefined)
    assert.equal(ledger.store.queuedWrites, 1)
    assert.equal(rowsOnDisk(path), 0)
    ledger.flush()
    assert.equal(ledger.store.queuedWrites, 0)
    assert.equal(rowsOnDisk(path), 1)

    // A read sees what was accepted: it commits the queue first.
    const b = w.write('US', 'model.update', { modelId: 'us-1', parameters: 2 })
    ledger.admitSoon(b.bytes)
    assert.equal(ledger.store.get(b.record.id)?.seq, 2)
    assert.equal(rowsOnDisk(path), 2)

    // A record from another door commits in one transaction with the queue, queue first.
    const c = w.write('US', 'model.update', { modelId: 'us-1', parameters: 3 })
    const d = w.write('US', 'model.update', { modelId: 'us-1', parameters: 4 })
    ledger.admitSoon(c.bytes)
    assert.equal(ledger.admit(d.bytes).verdict, 'accept')
    assert.equal(ledger.store.queuedWrites, 0)
    assert.equal(rowsOnDisk(path), 4)
    ledger.close()
  })

  it(`commits by itself (a ${WRITE_BEHIND_MS} ms timer) when nothing flushes or reads, and on close`, async () => {
    const ledger = new Ledger({ path, roster: fed.roster })
    const w = new Writer(fed)
    ledger.admitSoon(w.write('GB', 'model.register', modelBody('GB', 'gb-1')).bytes)
    assert.equal(rowsOnDisk(path), 0)
    await waitFor(() => rowsOnDisk(path) === 1, 'the write-behind timer to commit', 5_000, 10)
    ledger.admitSoon(w.write('GB', 'model.update', { modelId: 'gb-1', parameters: 2 }).bytes)
    const digest = ledger.digest()
    ledger.close()
    assert.equal(rowsOnDisk(path), 2)
    const reopened = new Ledger({ path, roster: fed.roster })
    assert.equal(reopened.digest(), digest)
    reopened.close()
  })

  it('a crash loses only the uncommitted records, and memory then matches the disk', () => {
    const { ledger, committed, queued: lost } = oneCommittedOneQueued('JP')
    assert.notEqual(ledger.digest(), committed)
    assert.equal(ledger.crashNow(), 1)
    assert.equal(ledger.has(lost.record.id), false)
    assert.equal(ledger.digest(), committed)
    // The lost record is simply admitted again when sync brings it back.
    assert.equal(ledger.admit(lost.bytes).verdict, 'accept')
    assert.equal(rowsOnDisk(path), 2)
    ledger.close()
  })

  it('a commit the disk refuses reloads memory from disk and says how many records were lost', () => {
    const { ledger, committed: onDisk, queued } = oneCommittedOneQueued('US')
    // The disk refuses writes (as when it is full or failing), as a trigger makes it do here.
    const raw = new Database(path)
    raw.exec("CREATE TRIGGER refuse BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'disk refuses'); END")
    const failures: Array<{ err: unknown, lost: number }> = []
    ledger.on('writeFailed', (err, lost) => failures.push({ err, lost }))
    ledger.flush()
    assert.equal(failures.length, 1)
    assert.match(String(failures[0]?.err), /disk refuses/)
    assert.equal(failures[0]?.lost, 1)
    assert.equal(ledger.store.queuedWrites, 0)
    assert.equal(ledger.has(queued.record.id), false)
    assert.equal(ledger.digest(), onDisk)
    // Once the disk takes writes again, the record is admitted again (as sync would bring it).
    raw.exec('DROP TRIGGER refuse')
    raw.close()
    assert.equal(ledger.admit(queued.bytes).verdict, 'accept')
    assert.equal(rowsOnDisk(path), 2)
    ledger.close()
  })

  it("a refused commit of another door's record reports the queued gossip records it took down with it", () => {
    const { ledger, committed: onDisk, queued } = oneCommittedOneQueued('US')
    const raw = new Database(path)
    raw.exec("CREATE TRIGGER refuse BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'disk refuses'); END")
    const failures: Array<{ err: unknown, lost: number }> = []
    ledger.on('writeFailed', (err, lost) => failures.push({ err, lost }))
    // An API record commits in one transaction with the queue; the disk refuses it.
    const api = new Writer(fed).write('GB', 'model.register', modelBody('GB', 'gb-1'))
    assert.throws(() => ledger.admit(api.bytes), /disk refuses/)
    // The caller got the error for its own record; the queued gossip record is reported lost.
    assert.equal(failures.length, 1)
    assert.equal(failures[0]?.lost, 1)
    assert.equal(ledger.has(queued.record.id), false)
    assert.equal(ledger.has(api.record.id), false)
    assert.equal(ledger.digest(), onDisk)
    raw.exec('DROP TRIGGER refuse')
    raw.close()
    ledger.close()
  })
})
