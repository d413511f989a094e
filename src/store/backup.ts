/**
 * A backup of a node's records while it runs: SQLite's `VACUUM INTO` on a read-only connection
 * of its own (a consistent snapshot; the node keeps writing, WAL readers never block it), into a
 * partial file of its own that is checked (SQLite's quick_check, its records counted) and only
 * then linked to the name asked for. Copying `records.db` with `cp` while the node runs can
 * catch the file between a write and its WAL checkpoint.
 *
 * The key is not in it: a backup holds only what every member holds anyway, and a second copy of
 * the key is how two nodes end up running as one member (see net/twin-check.ts).
 */
import { chmodSync, existsSync, linkSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { decodeRecord, signingPayloadOf, verifySignature } from '../records/index.ts'

export class BackupError extends Error {
  static override name = 'BackupError'
  constructor (message: string) { super(message); this.name = 'BackupError' }
}

export interface BackupResult { records: number, chains: number, bytes: number, ms: number }

/** The store's records and chains, read from a backup file (or any records.db). */
export function describeRecords (path: string): { records: number, chains: number } {
  let db: Database.Database
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
    db.pragma('schema_version')
  } catch (err) {
    throw new BackupError(`${path} is not a records database: ${(err as Error).message}`)
  }
  try {
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new BackupError(`${path} fails SQLite's quick_check: ${String(check)}`)
    const records = (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n
    const chains = (db.prepare('SELECT count(DISTINCT origin) AS n FROM records').get() as { n: number }).n
    return { records, chains }
  } finally {
    db.close()
  }
}

/**
 * Backs `source` (a node's records.db) up to `target`, which must not exist. `onProgress` is
 * called about every 100 ms with the bytes written so far and the bytes expected (the source's
 * used pages).
 */
export async function backupRecords (source: string, target: string, onProgress?: (written: number, expected: number) => void): Promise<BackupResult> {
  if (!existsSync(source)) throw new BackupError(`no records at ${source}: is this a node's data directory, and has the node started once?`)
  if (existsSync(target)) throw new BackupError(`${target} exists: choose another name, or remove it first (a backup never overwrites)`)
  if (!existsSync(dirname(resolve(target)))) throw new BackupError(`no directory ${dirname(resolve(target))} to write ${target} in`)
  const started = performance.now()
  let expected = 0
  {
    const db = new Database(source, { readonly: true, fileMustExist: true })
    try {
      const pages = (db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number)
      expected = pages * (db.pragma('page_size', { simple: true }) as number)
    } catch (err) {
      throw new BackupError(`${source} is not a records database: ${(err as Error).message}`)
    } finally {
      db.close()
    }
  }
  // Its own partial file: two backups to one name at once must not write into each other's.
  const partial = `${target}.partial-${randomBytes(4).toString('hex')}`
  const timer = onProgress != null
    ? setInterval(() => { onProgress(existsSync(partial) ? statSync(partial).size : 0, expected) }, 100)
    : undefined
  try {
    const answer = await new Promise<{ ok: boolean, error?: string }>((resolve, reject) => {
      const worker = new Worker(new URL('./backup-worker.js', import.meta.url), { workerData: { source, target: partial } })
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.once('exit', code => { if (code !== 0) reject(new Error(`backup worker exited with ${code}`)) })
    })
    if (!answer.ok) throw new BackupError(`backup of ${source} failed: ${answer.error ?? 'unknown error'}`)
    const { records, chains } = describeRecords(partial)
    // A backup holds TLP AMBER and RED incidents: readable by this user only, as records.db is.
    chmodSync(partial, 0o600)
    // A link fails if the name was taken meanwhile (rename would silently replace it).
    try {
      linkSync(partial, target)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupError(`${target} was written by another backup meanwhile: choose another name (a backup never overwrites)`)
      throw err
    }
    rmSync(partial, { force: true })
    const bytes = statSync(target).size
    onProgress?.(bytes, bytes)
    return { records, chains, bytes, ms: Math.round(performance.now() - started) }
  } catch (err) {
    rmSync(partial, { force: true })
    throw err
  } finally {
    clearInterval(timer)
  }
}

/**
 * Puts `backup` in place of the records at `dbPath` (the node must be stopped: the caller holds
 * its data directory's lock). With `owner` (the data directory's member), a backup that looks
 * like another federation's or another member's (see `foreignBackup`) is refused first, and
 * nothing changes. Nothing is deleted: the records there before, with their WAL, are
 * renamed aside first (a stale WAL left beside the restored file would be replayed into it).
 * The backup is read through SQLite (`VACUUM INTO`), not copied as a file: a backup with a WAL
 * beside it (say, records moved aside by an earlier restore after a crash) has records in that
 * WAL that a file copy would leave behind. Returns what was restored and where the old records
 * went (none if there were none).
 */
export function replaceRecords (dbPath: string, backup: string, owner?: { id: string, publicKey: string }): { records: number, chains: number, aside?: string } {
  if (!existsSync(backup)) throw new BackupError(`no backup at ${backup}`)
  const { records, chains } = describeRecords(backup)
  const foreign = owner != null ? foreignBackup(backup, owner, dbPath) : undefined
  if (foreign != null) throw new BackupError(`${backup} looks like the wrong backup for ${owner?.id ?? '?'}: ${foreign} (nothing was changed; --force restores it anyway)`)
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const aside = `${dbPath}.before-restore-${stamp}`
  let moved = false
  for (const suffix of ['', '-wal', '-shm']) {
    if (!existsSync(dbPath + suffix)) continue
    renameSync(dbPath + suffix, aside + suffix)
    moved = true
  }
  // Read-write: a WAL without its -shm beside it needs recovery, which a read-only connection cannot run.
  const db = new Database(backup, { fileMustExist: true })
  try {
    db.prepare('VACUUM INTO ?').run(dbPath)
  } finally {
    db.close()
  }
  chmodSync(dbPath, 0o600)
  return { records, chains, ...(moved ? { aside } : {}) }
}

/**
 * Why `backup` looks like another federation's (or another member's) records, if it does: its
 * newest record of `member`'s own chain is not signed with `member`'s key; or, holding none of
 * that chain, it shares not one record with `current` (the records it would replace) while both
 * hold some. Restored, such a file serves a stranger's records as this federation's and raises
 * false equivocation alarms against honest members.
 */
function foreignBackup (backup: string, member: { id: string, publicKey: string }, current: string): string | undefined {
  const db = new Database(backup, { readonly: true, fileMustExist: true })
  try {
    const own = db.prepare('SELECT bytes FROM records WHERE origin = ? ORDER BY seq DESC LIMIT 1').pluck().get(member.id) as Uint8Array | undefined
    if (own != null) {
      return signedBy(own, member.publicKey) ? undefined : `its records of ${member.id}'s chain are not signed with this data directory's key: another federation's backup, or another member's?`
    }
    if (!existsSync(current)) return undefined
    const mine = new Database(current, { readonly: true, fileMustExist: true })
    try {
      const ids = mine.prepare('SELECT id FROM records LIMIT 1000').pluck().all() as string[]
      if (ids.length === 0 || (db.prepare('SELECT count(*) FROM records').pluck().get() as number) === 0) return undefined
      const has = db.prepare('SELECT 1 FROM records WHERE id = ?').pluck()
      return ids.some(id => has.get(id) != null) ? undefined : 'it shares not one record with the records it would replace: another federation\'s backup?'
    } finally {
      mine.close()
    }
  } finally {
    db.close()
  }
}

/** Whether a stored record's signature is `publicKey`'s (false for bytes that do not decode). */
function signedBy (bytes: Uint8Array, publicKey: string): boolean {
  try {
    return verifySignature(publicKey, signingPayloadOf(bytes), Buffer.from(decodeRecord(bytes).sig, 'base64url'))
  } catch {
    return false
  }
}
