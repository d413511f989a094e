/** A damaged records file is refused at start, naming the file and what to do; an intact one opens. */
import { strict as assert } from 'node:assert'
import { mkdtempSync, openSync, rmSync, statSync, truncateSync, writeSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Ledger } from '../../src/store/ledger.ts'
import { StoreDamagedError } from '../../src/store/sqlite-store.ts'
import { federation, modelBody, Writer } from '../fixtures.ts'

describe('store: a damaged records file', function () {
  this.timeout(60_000)
  const fed = federation(['US', 'GB'])
  let dir = ''
  let path = ''
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'accord-damaged-'))
    path = join(dir, 'records.db')
    const ledger = new Ledger({ path, roster: fed.roster })
    const w = new Writer(fed)
    const batch: Uint8Array[] = []
    for (let i = 0; i < 3000; i++) batch.push(w.write(i % 2 === 0 ? 'US' : 'GB', 'model.register', modelBody(i % 2 === 0 ? 'US' : 'GB', `m-${i}`)).bytes)
    ledger.admitMany(batch)
    ledger.close()
  })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  const refused = (): StoreDamagedError => {
    try {
      new Ledger({ path, roster: fed.roster }).close()
    } catch (err) {
      assert.ok(err instanceof StoreDamagedError, `a StoreDamagedError, not ${String(err)}`)
      return err
    }
    assert.fail('the damaged file was opened')
  }

  it('an intact file reopens with every record', () => {
    const ledger = new Ledger({ path, roster: fed.roster })
    assert.equal(ledger.size, 3000)
    ledger.close()
  })

  it('a truncated file is refused, naming the file and what to do', () => {
    truncateSync(path, statSync(path).size - 100_000)
    const err = refused()
    assert.ok(err.message.startsWith(`${path} is damaged (SQLite: `), err.message)
    assert.match(err.message, /move it aside with its -wal and -shm files .*fetches every record from the members by sync/)
  })

  it('an index page overwritten (rows and index disagree) is refused', () => {
    const db = new Database(path, { readonly: true })
    const root = (db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'sqlite_autoindex_records_1'").get() as { rootpage: number }).rootpage
    const pageSize = db.pragma('page_size', { simple: true }) as number
    db.close()
    const fd = openSync(path, 'r+')
    writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (root - 1) * pageSize)
    closeSync(fd)
    refused()
  })

  it('a record whose bytes changed on disk (SQLite sees nothing wrong) is refused, naming the record', () => {
    const db = new Database(path)
    const row = db.prepare('SELECT rowid, bytes FROM records WHERE seq = 7 AND origin = ?').get('US') as { rowid: number, bytes: Buffer }
    const text = row.bytes.toString('utf8').replace('Model m-', 'Model n-')
    db.prepare('UPDATE records SET bytes = ? WHERE rowid = ?').run(Buffer.from(text, 'utf8'), row.rowid)
    db.close()
    const err = refused()
    assert.match(err.message, /record US #7 no longer hashes to its id [0-9a-f]{16}…: its bytes changed on disk/)
  })
})
