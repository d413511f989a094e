import { strict as assert } from 'node:assert'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Ledger } from '../../src/store/ledger.ts'
import { sharedCheckpointer } from '../../src/store/checkpointer.ts'
import { federation, modelBody, waitFor, Writer } from '../fixtures.ts'

describe('store: WAL checkpoints run on a worker thread', () => {
  const fed = federation(['US', 'GB'])
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'accord-ckpt-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('the worker copies the log into the database file while records keep coming, and nothing is lost on reopen', async () => {
    const path = join(dir, 'ledger.db')
    const ledger = new Ledger({ path, roster: fed.roster })
    const w = new Writer(fed)
    const before = sharedCheckpointer().checkpoints
    const dbBytes = (): number => statSync(path).size
    const empty = dbBytes()
    assert.equal(ledger.admit(w.write('US', 'model.register', modelBody('US', 'us-m')).bytes).verdict, 'accept')
    let n = 0
    const write = (count: number): void => {
      for (let i = 0; i < count; i++) assert.equal(ledger.admit(w.write('US', 'model.update', { modelId: 'us-m', parameters: ++n }).bytes).verdict, 'accept')
    }
    assert.equal(ledger.admit(w.write('GB', 'model.register', modelBody('GB', 'gb-m')).bytes).verdict, 'accept')
    // The store's own automatic checkpoint is far away (16 k pages): only the worker moves pages
    // from the log into the database file this early.
    write(300)
    await waitFor(() => sharedCheckpointer().checkpoints > before && dbBytes() > empty, 'a checkpoint by the worker', 10_000, 20)
    assert.equal(sharedCheckpointer().failures, 0)
    const digest = ledger.digest()
    ledger.close()
    // Closed means closed: the worker's connection too, so the last one to go took the log with
    // it, and nothing writes the files after close() returned (a removal of the directory right
    // after once failed with "directory not empty").
    assert.equal(existsSync(`${path}-wal`), false, 'the log is gone once close() returns')

    // Everything admitted is there after reopening, read by a plain connection too.
    const raw = new Database(path, { readonly: true })
    assert.equal(raw.prepare('SELECT COUNT(*) FROM records').pluck().get(), 302)
    raw.close()
    const again = new Ledger({ path, roster: fed.roster })
    assert.equal(again.digest(), digest)
    again.close()
  })
})
