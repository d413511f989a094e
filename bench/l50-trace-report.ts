/**
 * Reads the traces an L50 run wrote (`ACCORD_BENCH_L50_TRACE=<dir>`, see l50-trace.ts) and says
 * what the slowest records met on their way: for each, when the last node of each process got
 * it, which nodes were last, and the event-loop stalls and collections that overlapped it.
 *
 *   node --import tsx bench/l50-trace-report.ts <dir> [share of records, default 0.01] [profile dir]
 *
 * `<dir>` is the traced run's directory, or the directory given to ACCORD_BENCH_L50_TRACE: then
 * every run in it is reported, oldest first (a full `npm run bench` makes 18 runs; narrow it
 * with ACCORD_BENCH_L50_PROCS=2 ACCORD_BENCH_L50_ROUNDS=1 ACCORD_BENCH_L50_SECONDS=30). Given
 * the directory of the same run's CPU profiles (ACCORD_BENCH_L50_CPU_PROF), it also says what
 * each process was busy with while each slow record was on its way (l50-trace-profile.ts).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { percentile } from './l50-load.ts'
import { TRACE_FILE, type ShardTraceFile } from './l50-trace.ts'
import { busyIn, labelledSamples, loadProfile } from './l50-trace-profile.ts'

/** A stall this long or longer is counted as long in the per-process lines. */
export const LONG_STALL_MS = 20

/** The runs in `dir`: itself if it holds trace files, else its subdirectories that do, oldest first. */
export function traceRuns (dir: string): string[] {
  const holdsTraces = (d: string): boolean => readdirSync(d).some(f => TRACE_FILE.test(f))
  if (holdsTraces(dir)) return [dir]
  const runs = readdirSync(dir, { withFileTypes: true })
    .filter(e => e.isDirectory() && holdsTraces(join(dir, e.name)))
    .map(e => e.name)
    .sort((a, b) => a.slice(a.indexOf('-')).localeCompare(b.slice(b.indexOf('-'))))
  if (runs.length === 0) throw new Error(`no traces in ${dir}: run the bench with ACCORD_BENCH_L50_TRACE=${dir}`)
  return runs.map(r => join(dir, r))
}

/** One run's trace files, ordered by their first node (JSON writes NaN as null: read back). */
export function loadTraces (dir: string): ShardTraceFile[] {
  return readdirSync(dir).filter(f => TRACE_FILE.test(f))
    .map(f => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ShardTraceFile)
    .map(t => ({ ...t, sentAt: t.sentAt.map(x => x ?? Number.NaN) }))
    .sort((a, b) => a.from - b.from)
}

export interface TracedRecord {
  record: number
  origin: number
  sentAt: number
  /** Time to the last node; Infinity if some node never got it. */
  ms: number
  /** Per process (by its first node): ms to its last node that got it. */
  lastByProcess: Map<number, number>
  /** [node, ms] of every first arrival, earliest first. */
  arrivals: Array<[number, number]>
}

/** Every measured record (after the warm-up), with its arrivals relative to its send time. */
export function tracedRecords (traces: ShardTraceFile[]): TracedRecord[] {
  const first = traces[0]
  if (first == null) return []
  const nodes = Math.max(...traces.map(t => t.to))
  const out: TracedRecord[] = []
  const byRecord = new Map<number, Array<[number, number, number]>>()
  for (const t of traces) {
    for (const [record, node, at] of t.arrivals) {
      if (node === first.origins[record]) continue
      const list = byRecord.get(record) ?? []
      list.push([node, at, t.from])
      byRecord.set(record, list)
    }
  }
  for (let record = first.warmup; record < first.origins.length; record++) {
    const sentAt = traces.map(t => t.sentAt[record] ?? Number.NaN).find(x => !Number.isNaN(x)) ?? Number.NaN
    const got = byRecord.get(record) ?? []
    const lastByProcess = new Map<number, number>()
    for (const [, at, shard] of got) lastByProcess.set(shard, Math.max(lastByProcess.get(shard) ?? 0, at - sentAt))
    const arrivals = got.map(([node, at]): [number, number] => [node, at - sentAt]).sort((a, b) => a[1] - b[1])
    const everywhere = new Set(got.map(g => g[0])).size === nodes - 1
    out.push({ record, origin: first.origins[record] as number, sentAt, ms: everywhere ? Math.max(...arrivals.map(a => a[1])) : Number.POSITIVE_INFINITY, lastByProcess, arrivals })
  }
  return out
}

/** The events [start, ms, …] that overlap [from, to], each with its start relative to `from`. */
export function overlapping<E extends [number, number, ...number[]]> (events: E[], from: number, to: number): Array<{ after: number, event: E }> {
  return events.filter(([at, ms]) => at < to && at + ms > from).map(event => ({ after: event[0] - from, event }))
}

const f1 = (x: number): string => x.toFixed(1)
const GC_KIND: Record<number, string> = { 1: 'minor GC', 4: 'major GC', 8: 'incremental marking', 16: 'weak callbacks' }

/**
 * The report, as lines of text. `busy`, per process (by its first node): its CPU profile's
 * samples, [monotonic ms, kind of work], as `labelledSamples` gives them.
 */
export function traceReport (traces: ShardTraceFile[], share = 0.01, busy = new Map<number, Array<[number, string]>>()): string[] {
  const records = tracedRecords(traces)
  const times = records.map(r => r.ms)
  const lines = [
    `L50 trace: ${traces.length} process${traces.length === 1 ? '' : 'es'}, ${records.length} records measured (${traces[0]?.warmup ?? 0} warm-up left out)`,
    `time to all nodes: p50 ${f1(percentile(times, 50))} ms, p99 ${f1(percentile(times, 99))} ms, not everywhere ${times.filter(t => t === Number.POSITIVE_INFINITY).length}`
  ]
  // The measured window: from the first measured record's send to a second after the last's.
  const sent = records.map(r => r.sentAt).filter(x => !Number.isNaN(x))
  const [from, to] = [Math.min(...sent), Math.max(...sent) + 1000]
  const seconds = (to - from) / 1000
  for (const t of traces) {
    const stalls = t.stalls.filter(([at]) => at >= from && at <= to)
    const minor = t.gc.filter(([at, , kind]) => kind === 1 && at >= from && at <= to).map(g => g[1])
    const major = t.gc.filter(([at, , kind]) => kind === 4 && at >= from && at <= to).map(g => g[1])
    lines.push(`  nodes ${t.from}–${t.to - 1}: stalls ${f1(stalls.reduce((s, x) => s + x[1], 0) / seconds)} ms/s, ${stalls.filter(s => s[1] >= LONG_STALL_MS).length} of ≥ ${LONG_STALL_MS} ms (longest ${f1(Math.max(0, ...stalls.map(s => s[1])))}); ` +
      `minor GCs ${minor.length} (p50 ${minor.length > 0 ? f1(percentile(minor, 50)) : '-'} ms), major ${major.length} (longest ${f1(Math.max(0, ...major))} ms)`)
  }
  // Records never delivered everywhere (Infinity) first; Infinity − Infinity would be NaN.
  const slowest = [...records].sort((a, b) => a.ms === b.ms ? 0 : b.ms > a.ms ? 1 : -1).slice(0, Math.max(1, Math.round(records.length * share)))
  lines.push(`slowest ${slowest.length} (${(share * 100).toFixed(0)} %), each: time to all, origin, each process's last arrival, the last nodes, what overlapped it in each process`)
  for (const r of slowest) {
    const per = [...r.lastByProcess].sort((a, b) => a[0] - b[0]).map(([p, ms]) => `${p}:${f1(ms)}`).join(' ')
    const last = r.arrivals.slice(-4).map(([node, ms]) => `${node}@${f1(ms)}`).join(' ')
    const end = r.sentAt + (Number.isFinite(r.ms) ? r.ms : 1000)
    const met = traces.map(t => {
      const events = [
        ...overlapping(t.stalls, r.sentAt, end).map(({ after, event }) => `stall +${after.toFixed(0)} ${f1(event[1])}`),
        ...overlapping(t.gc, r.sentAt, end).map(({ after, event }) => `${GC_KIND[event[2]] ?? 'GC'} +${after.toFixed(0)} ${f1(event[1])}`)
      ]
      const samples = busy.get(t.from)
      if (samples != null) {
        const work = busyIn(samples, r.sentAt + t.monotonicMinusClockMs, end + t.monotonicMinusClockMs)
        events.push(`busy ${work.map(([what, ms]) => `${what} ${f1(ms)}`).join(', ') || 'with nothing'}`)
      }
      return events.length > 0 ? `[${t.from}] ${events.join(', ')}` : ''
    }).filter(Boolean).join(' ')
    lines.push(`  #${r.record} ${Number.isFinite(r.ms) ? `${f1(r.ms)} ms` : 'not everywhere'} from node ${r.origin} | last per process ${per} | last nodes ${last}${met !== '' ? ` | ${met}` : ''}`)
  }
  const lastCount = new Map<number, number>()
  for (const r of records) {
    const node = r.arrivals.at(-1)?.[0]
    if (node != null) lastCount.set(node, (lastCount.get(node) ?? 0) + 1)
  }
  lines.push(`nodes most often last: ${[...lastCount].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([node, n]) => `${node} (${n}×)`).join(', ')}`)
  return lines
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2]
  if (dir == null) {
    console.error('usage: node --import tsx bench/l50-trace-report.ts <dir> [share of records, default 0.01] [profile dir]')
    process.exit(2)
  }
  const profiles = process.argv[4]
  for (const run of traceRuns(dir)) {
    const traces = loadTraces(run)
    const busy = new Map<number, Array<[number, string]>>()
    for (const t of profiles != null ? traces : []) {
      const profile = loadProfile(profiles as string, t.pid)
      if (profile != null) busy.set(t.from, labelledSamples(profile))
    }
    console.log(`${run}\n${traceReport(traces, Number(process.argv[3] ?? 0.01), busy).join('\n')}\n`)
  }
}
