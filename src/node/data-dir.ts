/**
 * The node's data directory: key (member.key), API token (api-token), records (records.db),
 * and a lock so that one member never runs twice on the same data (two processes writing
 * the same chain would sign two records with one seq: an equivocation).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
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

/**
 * State and start time (clock ticks since boot) from a /proc/<pid>/stat line. The name in
 * parentheses may hold spaces and parentheses itself: the fields are those after the last ')'.
 */
export function parseProcStat (line: string): { state: string, start: string } | undefined {
  const close = line.lastIndexOf(')')
  if (close < 0) return undefined
  const fields = line.slice(close + 1).trim().split(/\s+/) // fields[0] is field 3 (state), so field 22 is fields[19]
  const [state, start] = [fields[0], fields[19]]
  if (state == null || start == null || !/^\d+$/.test(start)) return undefined
  return { state, start }
}

/** `undefined`: no /proc to ask (not Linux); `null`: no such process, or a zombie (killed, not reaped yet). */
function procStat (pid: number): { start: string } | null | undefined {
  let line: string
  try { line = readFileSync(`/proc/${pid}/stat`, 'utf8') } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return existsSync('/proc/self/stat') ? null : undefined
    return undefined
  }
  const stat = parseProcStat(line)
  if (stat == null) return undefined
  return stat.state === 'Z' ? null : stat
}

/** What the lock holds: the pid, and on Linux its start time, so that a pid reused by another process is not taken for the node. */
function lockContent (): string {
  const self = procStat(process.pid)
  return self != null ? `${process.pid} ${self.start}\n` : `${process.pid}\n`
}

/** Whether the process a lock names still runs. A lock from before start times were recorded holds a pid only. */
function held (content: string): number | undefined {
  const [pidText, start] = content.trim().split(/\s+/)
  const pid = Number(pidText)
  // Empty or garbled (a crash between creating the file and writing it): no holder. (`kill(0, 0)` would hit our own group.)
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  const stat = procStat(pid)
  if (stat === undefined) return pid !== process.pid && alive(pid) ? pid : undefined
  if (stat === null) return undefined
  // Without a start time, our own pid is a previous life's (a container's node restarts with the same pid).
  if (start == null) return pid !== process.pid ? pid : undefined
  return stat.start === start ? pid : undefined
}

/** Takes the data directory's lock; returns its release. A lock left by a dead process is taken over. */
export function lockDataDir (dir: string): () => void {
  const path = join(dir, LOCK_FILE)
  const mine = lockContent()
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, mine, { flag: 'wx' })
      return () => {
        // Only our own: a lock another process took over after ours was judged stale is its.
        try { if (readFileSync(path, 'utf8') === mine) rmSync(path, { force: true }) } catch {}
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      let content: string
      try { content = readFileSync(path, 'utf8') } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw e
      }
      // Empty for a moment while another start writes it (O_EXCL, then the pid): not stale yet.
      if (content.trim() === '' && Date.now() - statSync(path).mtimeMs < 2_000) throw new DataDirError(`${dir} is being locked by another start of a node right now: a member runs one node`)
      const pid = held(content)
      if (pid != null) throw new DataDirError(`${dir} is in use by process ${pid}: a member runs one node (if no Accord node runs there, remove ${path})`)
      rmSync(path, { force: true })
    }
  }
  throw new DataDirError(`cannot lock ${dir}`)
}
