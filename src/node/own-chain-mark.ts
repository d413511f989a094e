/**
 * How far this member's node has signed its own chain, kept beside `records.db` (in
 * `records.db-own.json`) and rewritten after each of its writes.
 *
 * If `records.db` is lost, or a backup restored, while every member is out of reach at the start
 * (down, cut off, hung), nothing else tells the node that it had signed more: after 15 s it would
 * write from seq 1 again, and the first member to come back would see an equivocation and freeze
 * the chain for good. With this mark the node knows, and its writes wait for a member's word
 * instead (write-gate.ts). The mark goes neither into backups nor away with a restore. Written
 * to a temporary file and renamed, so a crash leaves the old mark or the new one; a mark that lags
 * (a power loss) only protects less.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'

export class OwnChainMark {
  /** `dbPath`: the records file (':memory:' keeps no mark). */
  constructor (dbPath: string) {
    this.path = dbPath === ':memory:' || dbPath === '' ? undefined : `${dbPath}-own.json`
  }

  readonly path: string | undefined

  /** The highest seq marked, 0 if none (or unreadable). */
  read (): number {
    if (this.path == null) return 0
    try {
      const seq = (JSON.parse(readFileSync(this.path, 'utf8')) as { seq?: unknown }).seq
      return typeof seq === 'number' && Number.isInteger(seq) && seq > 0 ? seq : 0
    } catch {
      return 0
    }
  }

  /** Marks `seq` signed (best effort: a failure here must not fail the write, which is stored). */
  write (seq: number): void {
    if (this.path == null) return
    try {
      writeFileSync(`${this.path}.tmp`, JSON.stringify({ seq }) + '\n', { mode: 0o600 })
      renameSync(`${this.path}.tmp`, this.path)
    } catch {}
  }
}
