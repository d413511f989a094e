/**
 * What an L50 process saw, moment by moment, for finding out why some records are slow.
 *
 * The bench's figures say how slow the slowest records were, not why. With
 * `ACCORD_BENCH_L50_TRACE=<dir>`, each worker also keeps every first arrival (record, node,
 * time), its garbage collections (from V8's performance entries) and the moments its event loop
 * stalled (a 2 ms timer firing more than 3 ms late: the thread was busy, or waited for a core),
 * and writes them when it reports, to `<dir>/<mode>-<start of the load>/trace-<first node>.json`
 * (one directory per run, one file per process). `bench/l50-trace-report.ts`
 * then lines up the slowest records with the stalls and collections that overlapped them.
 * The timer costs a little CPU of its own: a traced run is for diagnosis, not for the figures.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PerformanceObserver, performance } from 'node:perf_hooks'
import { clock } from './l50-load.ts'

/** A stall is the 2 ms timer firing later than this. */
export const STALL_MS = 3
const TICK_MS = 2

export interface ShardTraceFile {
  /** The worker's pid: its CPU profile, if one was taken (ACCORD_BENCH_L50_CPU_PROF), is named after it. */
  pid: number
  /** The monotonic clock (CPU profiles' timestamps, in ms) minus `clock()`, to line the two up. */
  monotonicMinusClockMs: number
  /** The nodes [from, to) this process hosted. */
  from: number
  to: number
  /** Records at the start left out of the figures (the warm-up). */
  warmup: number
  /** Per record: its origin node, and when it was sent (NaN where another process sent it). */
  origins: number[]
  sentAt: number[]
  /** First arrivals: [record, node, time]. */
  arrivals: Array<[number, number, number]>
  /** Collections: [start, ms, V8's kind: 1 minor, 4 major, 8 incremental, 16 weak callbacks]. */
  gc: Array<[number, number, number]>
  /** Event-loop stalls: [when the timer was due, ms late]. */
  stalls: Array<[number, number]>
}

/** A trace file's name: `trace-<first node>.json`. */
export const TRACE_FILE = /^trace-\d+\.json$/

/** Where one run's traces go: its mode and the load's start (shared by all its processes). */
export function traceRunDir (dir: string, mode: string, loadAt: number): string {
  return join(dir, `${mode}-${new Date(loadAt).toISOString().replace(/[:.]/g, '-')}`)
}

/** What a process knows of its share before the load: its nodes, the warm-up, each record's origin. */
export type ShardFacts = Pick<ShardTraceFile, 'from' | 'to' | 'warmup' | 'origins'>

export class ShardTrace {
  readonly arrivals: ShardTraceFile['arrivals'] = []
  readonly gc: ShardTraceFile['gc'] = []
  readonly stalls: ShardTraceFile['stalls'] = []
  readonly #observer: PerformanceObserver
  readonly #timer: ReturnType<typeof setInterval>

  /** `dir`: where runs' directories go (ACCORD_BENCH_L50_TRACE). */
  constructor (readonly dir: string, readonly shard: ShardFacts) {
    this.#observer = new PerformanceObserver(list => {
      for (const e of list.getEntries()) {
        this.gc.push([performance.timeOrigin + e.startTime, e.duration, (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0])
      }
    })
    this.#observer.observe({ entryTypes: ['gc'] })
    let due = clock() + TICK_MS
    this.#timer = setInterval(() => {
      const now = clock()
      if (now - due > STALL_MS) this.stalls.push([due, now - due])
      due = now + TICK_MS
    }, TICK_MS)
    this.#timer.unref()
  }

  arrived (record: number, node: number, at: number): void {
    this.arrivals.push([record, node, at])
  }

  /** Stops tracing and writes what it kept into the run's directory (see `traceRunDir`); returns the file. */
  write (mode: string, loadAt: number, sentAt: number[]): string {
    this.#observer.disconnect()
    clearInterval(this.#timer)
    const dir = traceRunDir(this.dir, mode, loadAt)
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `trace-${this.shard.from}.json`)
    const monotonicMinusClockMs = Number(process.hrtime.bigint()) / 1e6 - clock()
    const out: ShardTraceFile = { pid: process.pid, monotonicMinusClockMs, ...this.shard, sentAt, arrivals: this.arrivals, gc: this.gc, stalls: this.stalls }
    writeFileSync(file, JSON.stringify(out))
    return file
  }
}
