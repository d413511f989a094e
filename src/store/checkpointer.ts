/**
 * SQLite WAL checkpoints on a worker thread.
 *
 * In WAL mode every commit appends pages to the log, and by default the committing connection
 * copies the log back into the database file once it reaches 1,000 pages (a checkpoint). That
 * copy ran on the node's one thread, in the middle of admitting a record: a stall of several
 * ms, and where nodes take in the same records at the same pace (a federation, a bench on one
 * machine) they all reached the threshold together. Measured at 50 nodes: the slowest records
 * were the ones in flight while ~25 checkpoints ran back to back in a process.
 *
 * Here the store asks for a checkpoint every so many commits and a worker thread runs it
 * (PASSIVE: it never blocks the writer) on its own connection to the same file. The store's
 * own connection keeps a far higher automatic threshold, so the log stays bounded even if the
 * worker fell behind or died.
 */
import { Worker } from 'node:worker_threads'

/** Longest a store's close waits for the worker to let go of its file. */
const RELEASE_WAIT_MS = 2_000

interface Reply { id: number, ok: boolean, error?: string, result?: { busy: number, log: number, checkpointed: number } }

export class Checkpointer {
  readonly #worker: Worker
  readonly #waiting = new Map<number, (reply: Reply) => void>()
  /** Paths with a checkpoint running: at most one at a time per database. */
  readonly #running = new Set<string>()
  /** Paths the worker may hold a connection to (a checkpoint was asked for since the last release). */
  readonly #opened = new Set<string>()
  #next = 0
  checkpoints = 0
  failures = 0

  constructor () {
    this.#worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url))
    this.#worker.on('message', (reply: Reply) => {
      const done = this.#waiting.get(reply.id)
      this.#waiting.delete(reply.id)
      if (this.#waiting.size === 0) this.#worker.unref()
      done?.(reply)
    })
    this.#worker.on('error', () => {
      for (const done of this.#waiting.values()) done({ id: -1, ok: false, error: 'checkpoint worker failed' })
      this.#waiting.clear()
    })
    this.#worker.unref()
  }

  async #ask (op: 'checkpoint', path: string): Promise<Reply> {
    const id = this.#next++
    return await new Promise<Reply>(resolve => {
      this.#waiting.set(id, resolve)
      this.#worker.ref()
      this.#worker.postMessage({ id, op, path })
    })
  }

  /** Starts a checkpoint of `path` unless one is running; never throws (the store's own threshold is the fallback). */
  request (path: string): void {
    if (this.#running.has(path)) return
    this.#running.add(path)
    this.#opened.add(path)
    void this.#ask('checkpoint', path).then(reply => {
      this.#running.delete(path)
      if (reply.ok) this.checkpoints++
      else this.failures++
    })
  }

  /**
   * Closes the worker's connection to `path` (when the store closes), and returns once it is
   * closed: a checkpoint asked for just before could otherwise still open the file and write its
   * log after the store had closed, while the caller moves or deletes the files (a backup
   * restored, a test's directory removed: "directory not empty"). Waits behind a checkpoint
   * running now (milliseconds), at most RELEASE_WAIT_MS.
   */
  release (path: string): void {
    if (!this.#opened.delete(path)) return
    const closed = new Int32Array(new SharedArrayBuffer(4))
    this.#worker.postMessage({ id: -1, op: 'release', path, closed })
    Atomics.wait(closed, 0, 0, RELEASE_WAIT_MS)
  }
}

let shared: Checkpointer | undefined

/** One worker for the whole process, however many nodes (stores) it runs; made on first use. */
export function sharedCheckpointer (): Checkpointer {
  shared ??= new Checkpointer()
  return shared
}
