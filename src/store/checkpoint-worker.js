// Worker thread for Checkpointer: copies SQLite WAL content back into the database file
// (PRAGMA wal_checkpoint(PASSIVE)) on its own connection, so the node's thread never stalls on it.
// Plain JavaScript so the worker starts without a TypeScript loader.
import { parentPort } from 'node:worker_threads'
import Database from 'better-sqlite3'

const dbs = new Map()

parentPort.on('message', ({ id, op, path, closed }) => {
  try {
    if (op === 'checkpoint') {
      let db = dbs.get(path)
      if (db == null) {
        db = new Database(path, { fileMustExist: true })
        dbs.set(path, db)
      }
      const [result] = db.pragma('wal_checkpoint(PASSIVE)')
      parentPort.postMessage({ id, ok: true, result })
    } else if (op === 'release') {
      try {
        dbs.get(path)?.close()
        dbs.delete(path)
      } finally {
        // The store's close waits on this (Checkpointer.release), whatever happened.
        if (closed != null) { Atomics.store(closed, 0, 1); Atomics.notify(closed, 0) }
      }
      parentPort.postMessage({ id, ok: true })
    } else {
      parentPort.postMessage({ id, ok: false, error: `unknown op ${op}` })
    }
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) })
  }
})
