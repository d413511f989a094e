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

/**
 * How far V8 lets the old generation grow past what the last full collection left alive before
 * it starts the next one: here 2× (`--heap-growing-percent=100`).
 *
 * Left to itself, V8 picks 1.1–1.2× for a heap like a node's (its collections look cheap next to
 * the program's work), so with 25 nodes a process the old generation filled up every 2–2.5 s
 * while records moved: each full collection then spent ~40 ms of main-thread marking steps and a
 * 4–16 ms pause, wherever a record was on its way. Measured with 50 nodes in two processes: 12–13
 * full collections per 30 s in the busier process before, 3–4 after. The price is memory: the
 * heap may reach twice its live size (a node's live heap is a few MiB plus its records).
 * `ACCORD_HEAP_GROWTH=off` leaves V8's own choice.
 */
export const HEAP_GROWING_PERCENT = 100

export function growHeapForLatency (percent = HEAP_GROWING_PERCENT): boolean {
  if (process.env.ACCORD_HEAP_GROWTH === 'off') return false
  try {
    setFlagsFromString(`--heap-growing-percent=${percent}`)
    return true
  } catch {
    return false
  }
}

let processWide: IdleGcStats | undefined | null

/**
 * The process's collection policy, set up by the first node that asks: the idle collector on
 * the process's one `Quiet`, and the old generation's growth.
 */
export function processIdleGc (): IdleGcStats | undefined {
  if (processWide === undefined) {
    growHeapForLatency()
    processWide = collectWhenQuiet(processQuiet()) ?? null
  }
  return processWide ?? undefined
}

/** The process's idle collector's counts, if one runs (metrics). */
export function idleGcStats (): IdleGcStats | undefined {
  return processWide ?? undefined
}
