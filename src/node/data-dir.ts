/**
 * The node's data directory: key (member.key), API token (api-token), records (records.db),
 * and a lock so that one member never runs twice on the same data (two processes writing
 * the same chain would sign two records with one seq: an equivocation).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'

export const TOKEN_FILE = 'api-token'
export const DB_FILE = 'records.db'
const LOCK_FILE = 'node.lock'

export class DataDirError extends Error {
  static override name = 'DataDirError'
  constructor (message: string) { super(message); this.name = 'DataDirError' }
}

/** The API token, made (0600) on first start. */
export function ensureToken (dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, TOKEN_FILE)
  if (!existsSync(path)) {
    writeFileSync(path, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' })
    chmodSync(path, 0o600)
  }
  return readFileSync(path, 'utf8').trim()
}

export function readToken (dir: string): string {
  const path = join(dir, TOKEN_FILE)
  if (!existsSync(path)) throw new DataDirError(`no API token at ${path}: has the node started once?`)
  return readFileSync(path, 'utf8').trim()
}

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM' }
}

/** Takes the data directory's lock; returns its release. A lock left by a dead process is taken over. */
export function lockDataDir (dir: string): () => void {
  const path = join(dir, LOCK_FILE)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' })
      return () => { rmSync(path, { force: true }) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number(readFileSync(path, 'utf8'))
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) throw new DataDirError(`${dir} is in use by process ${pid}: a member runs one node`)
      rmSync(path, { force: true })
    }
  }
  throw new DataDirError(`cannot lock ${dir}`)
}
