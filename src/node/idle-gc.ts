/**
 * Young-generation garbage collection in the quiet moments between records.
 *
 * V8 empties its young generation (a "scavenge") when it fills up, and it fills up while records
 * are moving, since that is when the process allocates. So every scavenge lands in the middle of
 * some record's path and adds its whole pause (5–15 ms here under load, nearly all of it copying
 * the objects still alive) to that record's time to reach every node. Measured with 50 nodes in
 * two processes: nearly every record among the slowest 5 % overlapped a collection.
 *
 * Browsers run such collections in idle time; Node has no idle tasks. So at each quiet moment
 * (see quiet.ts), if the young generation is more than half full, this scavenges then. The
 * collection costs about the same CPU either way; what changes is that nothing waits for it
 * unless a record happens to arrive during those few milliseconds.
 *
 * Needs V8's `gc()` with options (`--expose-gc`, switched on at run time here); where that is not
 * available nothing changes. `ACCORD_IDLE_GC=off` turns it off.
 */
import { setFlagsFromString, getHeapSpaceStatistics } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { processQuiet, type Quiet } from './quiet.ts'

export type GcFn = (options?: { type?: 'minor' | 'major', execution?: 'sync' | 'async' }) => void

/** Scavenge when the young generation is fuller than this share of its capacity. */
export const IDLE_GC_THRESHOLD = 0.5

/** The young generation's fill, 0..1. */
export function youngFill (): number {
  const space = getHeapSpaceStatistics().find(s => s.space_name === 'new_space')
  if (space == null) return 0
  const capacity = space.space_used_size + space.space_available_size
  return capacity > 0 ? space.space_used_size / capacity : 0
}

/** V8's gc() (with options), exposed at run time if the process was not started with it. */
export function exposedGc (): GcFn | undefined {
  try {
    const exposed = (globalThis as { gc?: GcFn }).gc
    if (typeof exposed === 'function') return exposed
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as GcFn | undefined
    return typeof gc === 'function' ? gc : undefined
  } catch {
    return undefined
  }
}

export interface IdleGcStats { collections: number }

/**
 * Makes `quiet`'s moments scavenge the young generation when it is over `threshold` full;
 * returns a live count of those collections, or undefined where gc() is unavailable or
 * `ACCORD_IDLE_GC=off`.
 */
export function collectWhenQuiet (quiet: Quiet, threshold = IDLE_GC_THRESHOLD, gc = exposedGc()): IdleGcStats | undefined {
  if (process.env.ACCORD_IDLE_GC === 'off' || gc == null) return undefined
  const stats: IdleGcStats = { collections: 0 }
  // Last: other quiet-moment work (commits of gossip records) leaves garbage of its own.
  quiet.onQuiet(() => {
    if (youngFill() > threshold) {
      gc({ type: 'minor' })
      stats.collections++
    }
  }, true)
  return stats
}

let processWide: IdleGcStats | undefined | null

/** The process's idle collector, on its one `Quiet` (set up by the first node that asks). */
export function processIdleGc (): IdleGcStats | undefined {
  if (processWide === undefined) processWide = collectWhenQuiet(processQuiet()) ?? null
  return processWide ?? undefined
}

/** The process's idle collector's counts, if one runs (metrics). */
export function idleGcStats (): IdleGcStats | undefined {
  return processWide ?? undefined
}
