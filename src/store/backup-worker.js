// Worker thread for backupRecords: one `VACUUM INTO` on its own read-only connection, so the
// calling thread stays free to draw progress. Plain JavaScript so the worker starts without a
// TypeScript loader.
import { workerData, parentPort } from 'node:worker_threads'
import Database from 'better-sqlite3'

const { source, target } = workerData
try {
  const db = new Database(source, { readonly: true, fileMustExist: true })
  try {
    // One read transaction: a consistent snapshot, while the node goes on writing (WAL).
    db.prepare('VACUUM INTO ?').run(target)
  } finally {
    db.close()
  }
  parentPort.postMessage({ ok: true })
} catch (err) {
  parentPort.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) })
}
