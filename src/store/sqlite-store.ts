/**
 * Durable storage of records in embedded SQLite (better-sqlite3, WAL mode).
 *
 * Why SQLite: one file per node, transactions that make a batch of records land together or
 * not at all, WAL so readers never block the writer, and commits that survive a crash of the
 * process (and, for the member's own records, of the machine).
 *
 * Tables: `records` holds each origin's chain, one row per (origin, seq), so a chain's tip is
 * its last row; `chains` where an equivocation froze a chain; `forks` the second record of
 * each equivocation, which together with the chain's record at that seq is the signed proof.
 *
 * Write-behind (`later`): writes made inside `later(fn)` are queued rather than run, and commit
 * in one transaction at the next `flush()`, before any read or other transaction (so reads and
 * disk always agree with the order writes were made), or `maxDelayMs` after the first of them.
 * The gossip door uses it to take a record's commit off the path by which it reaches the others.
 */
import Database from 'better-sqlite3'
import type { ChainTip, Fork, HeldRecord } from '../records/index.ts'
import { sharedCheckpointer } from './checkpointer.ts'

/** Commits between two checkpoint requests to the worker (a commit adds ~4 pages to the log). */
const COMMITS_PER_CHECKPOINT = 64
/** The store's own automatic checkpoint, only if the worker falls behind: 16 k pages = 64 MiB. */
const FALLBACK_AUTOCHECKPOINT_PAGES = 16_384

export interface StoredRecord { origin: string, seq: number, id: string, kind: string, bytes: Uint8Array, receivedAt: number }

/** The records file is damaged: the node refuses to start on it (see `openChecked`). */
export class StoreDamagedError extends Error {
  static override name = 'StoreDamagedError'
  constructor (message: string) { super(message); this.name = 'StoreDamagedError' }
}

/**
 * Opens a records file and checks it whole (SQLite's integrity_check: every page, and every
 * index against its table; ~0.2 s for 100 k records). A file damaged by the disk, or by a WAL
 * cut short, can lose rows while an index still names them: the node would then refuse those
 * records as held, never fetch them again, and sign its next record at a seq it already used
 * (an equivocation, for good). Refused, with what to do.
 */
/** The refusal for a damaged records file at `path`, saying what is wrong and what to do. */
export function storeDamaged (path: string, detail: string): StoreDamagedError {
  return new StoreDamagedError(
    `${path} is damaged (${detail}): this node will not start on it. Stop here and move it aside ` +
    `with its -wal and -shm files (e.g. mv ${path} ${path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}), then start the node again: it fetches every record from the ` +
    'members by sync, and its writes wait until it has its own chain back (or put a backup in its place: accord restore)')
}

function openChecked (path: string): Database.Database {
  const damaged = (detail: string): StoreDamagedError => storeDamaged(path, `SQLite: ${detail}`)
  let db: Database.Database | undefined
  try {
    db = new Database(path)
    const problems = db.pragma('integrity_check(5)', { simple: false }) as Array<{ integrity_check: string }>
    const text = problems.map(p => p.integrity_check).filter(t => t !== 'ok')
    if (text.length > 0) throw damaged(text.join('; '))
    return db
  } catch (err) {
    db?.close()
    if (err instanceof StoreDamagedError) throw err
    const code = (err as { code?: string }).code
    if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT_INDEX') throw damaged((err as Error).message)
    throw err
  }
}

export class SqliteStore {
  readonly #db: Database.Database
  readonly #insert: Database.Statement
  readonly #freeze: Database.Statement
  readonly #idAt: Database.Statement
  readonly #range: Database.Statement
  readonly #byId: Database.Statement
  /** One transaction wrapper, made once: better-sqlite3 builds a new one per `transaction()` call. */
  readonly #transaction: (fn: () => unknown) => unknown
  /** The database file, when checkpoints run on the worker (not for ':memory:'). */
  readonly #file?: string
  #commits = 0
  /** Writes made inside `later`, not yet run; they run first in the next transaction. */
  #queued: Array<() => void> = []
  #deferring = false
  #flushTimer?: ReturnType<typeof setTimeout>
  /** Told when a commit of queued writes fails (they are then gone; see `later`). */
  onQueuedLost?: (err: unknown) => void

  /** `path` is a file in the node's data directory, or ':memory:' for tests. */
  constructor (path: string) {
    this.#db = path === ':memory:' || path === '' ? new Database(path) : openChecked(path)
    this.#db.pragma('journal_mode = WAL')
    if (path !== ':memory:' && path !== '') {
      // Checkpoints run on a worker thread (see checkpointer.ts); this connection's own is a fallback.
      this.#file = this.#db.name
      this.#db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`)
      // The worker starts now, not in the middle of taking in records; and each store starts its
      // count at a random point, so stores filled at the same pace do not checkpoint in step.
      sharedCheckpointer()
      this.#commits = Math.floor(Math.random() * COMMITS_PER_CHECKPOINT)
    }
    // NORMAL in WAL mode: a commit survives a crash of the process (kill -9); only a power
    // loss can drop the last few commits, and other members' records are then fetched again
    // by sync. The member's own records are committed with FULL (see `durably`).
    this.#db.pragma('synchronous = NORMAL')
    this.#db.pragma('foreign_keys = ON')
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS records (
        origin TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
        time INTEGER NOT NULL, received_at INTEGER NOT NULL, bytes BLOB NOT NULL,
        UNIQUE (origin, seq));
      CREATE TABLE IF NOT EXISTS chains (origin TEXT PRIMARY KEY, seq INTEGER NOT NULL, head TEXT NOT NULL, frozen_at INTEGER);
      CREATE TABLE IF NOT EXISTS forks (origin TEXT PRIMARY KEY, seq INTEGER NOT NULL, id_a TEXT NOT NULL, id_b TEXT NOT NULL, bytes_b BLOB NOT NULL, received_at INTEGER NOT NULL);
    `)
    this.#insert = this.#db.prepare('INSERT INTO records (origin, seq, id, kind, time, received_at, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)')
    this.#freeze = this.#db.prepare('INSERT INTO chains (origin, seq, head, frozen_at) VALUES (?, ?, ?, ?) ON CONFLICT(origin) DO UPDATE SET seq = excluded.seq, head = excluded.head, frozen_at = excluded.frozen_at')
    this.#idAt = this.#db.prepare('SELECT id FROM records WHERE origin = ? AND seq = ?').pluck()
    this.#range = this.#db.prepare('SELECT origin, seq, id, kind, bytes, received_at AS receivedAt FROM records WHERE origin = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?')
    this.#transaction = this.#db.transaction((fn: () => unknown) => fn())
    this.#byId = this.#db.prepare('SELECT origin, seq, id, kind, bytes, received_at AS receivedAt FROM records WHERE id = ?')
  }

  /** Runs `fn` in one transaction: everything it writes commits together or not at all. */
  transaction<T> (fn: () => T): T {
    const queued = this.#takeQueued()
    const result = this.#transaction(() => {
      for (const write of queued) write()
      return fn()
    }) as T
    if (this.#file != null && ++this.#commits % COMMITS_PER_CHECKPOINT === 0) sharedCheckpointer().request(this.#file)
    return result
  }

  /**
   * Runs `fn` in one transaction committed with an fsync of the log (synchronous=FULL): for
   * the member's own records, whose seq must never be reused even after a power loss.
   */
  durably<T> (fn: () => T): T {
    this.#db.pragma('synchronous = FULL')
    try {
      return this.transaction(fn)
    } finally {
      this.#db.pragma('synchronous = NORMAL')
    }
  }

  /**
   * Runs `fn` with the writes it makes queued instead of run (see the header): they commit with
   * the next transaction or `flush()`, at the latest `maxDelayMs` after the first was queued. A
   * failed commit (disk full, I/O error) loses them and is reported to `onQueuedLost`; a read made
   * inside `fn` commits what is queued so far first.
   */
  later<T> (fn: () => T, maxDelayMs: number): T {
    this.#deferring = true
    try {
      return fn()
    } finally {
      this.#deferring = false
      if (this.#queued.length > 0 && this.#flushTimer == null) {
        this.#flushTimer = setTimeout(() => { this.#flushQuietly() }, maxDelayMs)
        this.#flushTimer.unref()
      }
    }
  }

  /** Commits the queued writes now, if any. Throws (and reports to `onQueuedLost`) if that fails. */
  flush (): void {
    if (this.#queued.length === 0 || !this.#db.open) return
    try {
      this.transaction(() => undefined)
    } catch (err) {
      this.onQueuedLost?.(err)
      throw err
    }
  }

  /** The database file, or undefined for ':memory:'. */
  get file (): string | undefined { return this.#file }

  /** Writes queued and not yet committed. */
  get queuedWrites (): number { return this.#queued.length }

  /** Forgets the queued writes, as a crash of the process would (tests and drills). */
  dropQueued (): number {
    return this.#takeQueued().length
  }

  put (record: HeldRecord, bytes: Uint8Array, receivedAt: number): void {
    this.#write(() => this.#insert.run(record.origin, record.seq, record.id, record.kind, record.time, receivedAt, bytes))
  }

  /** Records where an equivocation froze a chain (other tips follow from `records`). */
  freeze (origin: string, tip: ChainTip): void {
    this.#write(() => this.#freeze.run(origin, tip.seq, tip.head, tip.frozenAt ?? null))
  }

  putFork (fork: Fork, otherBytes: Uint8Array, receivedAt: number): void {
    this.#write(() => this.#db.prepare('INSERT OR REPLACE INTO forks (origin, seq, id_a, id_b, bytes_b, received_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(fork.origin, fork.seq, fork.ids[0], fork.ids[1], otherBytes, receivedAt))
  }

  #write (write: () => unknown): void {
    if (this.#deferring) this.#queued.push(write)
    else write()
  }

  #takeQueued (): Array<() => void> {
    const queued = this.#queued
    if (queued.length > 0) this.#queued = []
    clearTimeout(this.#flushTimer)
    this.#flushTimer = undefined
    return queued
  }

  #flushQuietly (): void {
    try { this.flush() } catch {
      // Reported to onQueuedLost by flush().
    }
  }

  /**
   * Each chain's tip: its last record, unless an equivocation froze it (then the row in
   * `chains` says where). Computed from `records` rather than kept per record, which saves a
   * write on every admission; `chains` rows of earlier versions without a freeze are ignored.
   */
  tips (): Map<string, ChainTip> {
    this.flush()
    const last = this.#db.prepare('SELECT r.origin, r.seq, r.id AS head FROM records r JOIN (SELECT origin, MAX(seq) AS seq FROM records GROUP BY origin) m ON r.origin = m.origin AND r.seq = m.seq')
      .all() as Array<{ origin: string, seq: number, head: string }>
    const tips = new Map<string, ChainTip>(last.map(r => [r.origin, { seq: r.seq, head: r.head }]))
    const frozen = this.#db.prepare('SELECT origin, seq, head, frozen_at AS frozenAt FROM chains WHERE frozen_at IS NOT NULL').all() as Array<{ origin: string, seq: number, head: string, frozenAt: number }>
    for (const r of frozen) tips.set(r.origin, { seq: r.seq, head: r.head, frozenAt: r.frozenAt })
    return tips
  }

  forks (): Array<{ fork: Fork, bytesB: Uint8Array }> {
    this.flush()
    const rows = this.#db.prepare('SELECT origin, seq, id_a AS a, id_b AS b, bytes_b AS bytes FROM forks').all() as Array<{ origin: string, seq: number, a: string, b: string, bytes: Buffer }>
    return rows.map(r => ({ fork: { origin: r.origin, seq: r.seq, ids: [r.a, r.b] }, bytesB: new Uint8Array(r.bytes) }))
  }

  idAt (origin: string, seq: number): string | undefined {
    this.flush()
    return this.#idAt.get(origin, seq) as string | undefined
  }

  get (id: string): StoredRecord | undefined {
    this.flush()
    return rowToStored(this.#byId.get(id))
  }

  /** One origin's records from `from` to `to` inclusive, in chain order, at most `limit`. */
  range (origin: string, from: number, to: number, limit = 1000): StoredRecord[] {
    this.flush()
    return this.#range.all(origin, from, to, limit).map(row => rowToStored(row) as StoredRecord)
  }

  /**
   * Records in the order this node first held them, filtered, after the opaque cursor `after`
   * (the local row number of the last record of the previous page).
   */
  list (q: { kind?: string, origin?: string, since?: number, after?: number, limit: number }): Array<StoredRecord & { cursor: number }> {
    this.flush()
    const where: string[] = ['rowid > @after']
    if (q.kind != null) where.push('kind = @kind')
    if (q.origin != null) where.push('origin = @origin')
    if (q.since != null) where.push('time >= @since')
    const rows = this.#db.prepare(`SELECT rowid AS cursor, origin, seq, id, kind, bytes, received_at AS receivedAt FROM records WHERE ${where.join(' AND ')} ORDER BY rowid LIMIT @limit`)
      .all({ after: q.after ?? 0, kind: q.kind, origin: q.origin, since: q.since, limit: q.limit }) as Array<{ cursor: number }>
    return rows.map(r => ({ ...(rowToStored(r) as StoredRecord), cursor: r.cursor }))
  }

  /** Every stored record, chain by chain, in order: what a reopened node folds. */
  * all (): Generator<StoredRecord> {
    this.flush()
    const stmt = this.#db.prepare('SELECT origin, seq, id, kind, bytes, received_at AS receivedAt FROM records ORDER BY origin, seq')
    for (const row of stmt.iterate()) yield rowToStored(row) as StoredRecord
  }

  /** All record ids: chain records and the second halves of equivocation proofs. */
  ids (): string[] {
    this.flush()
    return [
      ...this.#db.prepare('SELECT id FROM records').pluck().all() as string[],
      ...this.#db.prepare('SELECT id_b FROM forks').pluck().all() as string[]
    ]
  }

  /** Size of the database on disk, in bytes. */
  sizeBytes (): number {
    this.flush()
    const pages = this.#db.pragma('page_count', { simple: true }) as number
    const size = this.#db.pragma('page_size', { simple: true }) as number
    return pages * size
  }

  /** Commits what is queued, then closes. */
  close (): void {
    try { this.flush() } catch {
      // Reported to onQueuedLost; the database still closes.
    }
    if (this.#db.open) this.#db.close()
    if (this.#file != null) sharedCheckpointer().release(this.#file)
  }
}

function rowToStored (row: unknown): StoredRecord | undefined {
  if (row == null) return undefined
  const r = row as { origin: string, seq: number, id: string, kind: string, bytes: Buffer, receivedAt: number }
  return { origin: r.origin, seq: r.seq, id: r.id, kind: r.kind, bytes: new Uint8Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength), receivedAt: r.receivedAt }
}
