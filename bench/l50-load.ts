/**
 * L50 building blocks shared by both modes: the seeded topology, the pre-generated load (which
 * member publishes what, and the exact 1 KiB record bytes), arrival tracking and percentiles.
 * Both modes build these from the same seed, so they see the same graph and the same records.
 */
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { authorRecord, type ChainTip } from '../src/records/index.ts'
import { federation, incidentBody } from '../test/fixtures.ts'
import { seededRandom } from '../src/sim/topology.ts'
import { quantile } from '../src/sim/svg-charts.ts'

export const RECORD_BYTES = 1024
export const RECORD_KIND = 'incident.report'

/** 'M00'..'M49': member ids matching ^[A-Z][A-Z0-9-]{1,15}$. */
export function memberIds (n: number): string[] {
  return Array.from({ length: n }, (_, i) => `M${String(i).padStart(2, '0')}`)
}

/**
 * A ring plus chords: node i owns its ring link to i+1 and 1–2 chords, so each node brings
 * 2–3 links (5 neighbours on average). A chord goes to a random node among the least linked
 * ones, which keeps every node at ≥ 4 neighbours: Accord's dialer tops a node up to 4 peers by
 * itself, and the baseline would not, so a sparser node would make the graphs differ.
 * Links are [dialer, target] with dialer > target: nodes start in index order and listen on
 * port 0, so only the later node of a link knows the other's address.
 */
export function topology (n: number, seed = 50): Array<[number, number]> {
  const random = seededRandom(seed) // the drills' mulberry32: the same graph every run, both modes
  const key = (a: number, b: number): string => `${Math.max(a, b)}:${Math.min(a, b)}`
  const links = new Map<string, [number, number]>()
  const degree = new Array<number>(n).fill(0)
  const add = (a: number, b: number): void => {
    links.set(key(a, b), [Math.max(a, b), Math.min(a, b)])
    degree[a] = (degree[a] ?? 0) + 1
    degree[b] = (degree[b] ?? 0) + 1
  }
  for (let i = 0; i < n && n > 2; i++) add(i, (i + 1) % n)
  for (let i = 0; i < n; i++) {
    const chords = random() < 0.5 ? 1 : 2
    for (let made = 0; made < chords; made++) {
      const free = [...degree.keys()].filter(j => j !== i && !links.has(key(i, j)))
      if (free.length === 0) break
      const least = Math.min(...free.map(j => degree[j] as number))
      const pool = free.filter(j => degree[j] === least)
      add(i, pool[Math.floor(random() * pool.length)] as number)
    }
  }
  return [...links.values()]
}

export interface Planned {
  /** Index of the publishing member. */
  origin: number
  /** The incident.report body; its description is sized so the signed record is 1 KiB. */
  body: Record<string, unknown>
  /** That record signed by the origin: what the baseline publishes. */
  bytes: Uint8Array
}

/**
 * The load: `count` records from seeded random members, signed beforehand. Each member's chain
 * starts empty, exactly as on a fresh node, so `submit` of the same bodies in the same order
 * makes records of the same length (only `time` and `sig` differ, both fixed-width).
 */
export function planLoad (ids: string[], count: number, seed = 1024): Planned[] {
  // A fixed time, so every process signs byte-identical records (Ed25519 is deterministic);
  // 13 digits like Date.now(), so `submit`'s records have the same length.
  const time = 1_790_000_000_000
  const fed = federation(ids)
  const random = seededRandom(seed) // the same load every run, both modes
  const tips = new Map<string, ChainTip>()
  const out: Planned[] = []
  for (let i = 0; i < count; i++) {
    const origin = Math.floor(random() * ids.length)
    const id = ids[origin] as string
    const key = fed.keys.get(id)
    if (key == null) throw new Error(`no key for ${id}`)
    const make = (description: string): Record<string, unknown> =>
      incidentBody(`l50-${String(i).padStart(6, '0')}`, ['frontier-1'], { description }) as Record<string, unknown>
    // Sign once with a 1-byte description to learn the overhead, then pad to exactly 1 KiB.
    const overhead = authorRecord(key, id, tips.get(id), RECORD_KIND, make('x'), time).bytes.length - 1
    const body = make('x'.repeat(RECORD_BYTES - overhead))
    const { record, bytes } = authorRecord(key, id, tips.get(id), RECORD_KIND, body, time)
    if (bytes.length !== RECORD_BYTES) throw new Error(`record ${i} is ${bytes.length} bytes, not ${RECORD_BYTES}`)
    tips.set(id, { seq: record.seq, head: record.id })
    out.push({ origin, body, bytes })
  }
  return out
}

/**
 * What one process saw: for each record, how many of its nodes got it and when the last did,
 * and when it sent the records whose origin it hosts. Times are wall-clock ms (see `clock`).
 */
export interface ShardTally { sentAt: number[], count: number[], lastAt: number[] }

/** Arrivals at the nodes [from, to) one process hosts. */
export class ShardArrivals {
  readonly tally: ShardTally
  readonly #got: Uint8Array
  readonly #expected: number[]
  readonly #origins: number[]
  readonly #width: number

  constructor (readonly from: number, readonly to: number, plan: Planned[]) {
    this.#width = to - from
    const n = plan.length
    this.tally = { sentAt: new Array<number>(n).fill(Number.NaN), count: new Array<number>(n).fill(0), lastAt: new Array<number>(n).fill(0) }
    this.#got = new Uint8Array(n * this.#width)
    this.#origins = plan.map(p => p.origin)
    // The origin's own copy is not a delivery.
    this.#expected = plan.map(p => this.#width - (p.origin >= from && p.origin < to ? 1 : 0))
  }

  /** Whether this process hosts the origin of `record` (and so sends it). */
  hosts (record: number): boolean {
    const origin = this.#origins[record] ?? -1
    return origin >= this.from && origin < this.to
  }

  sent (record: number, at: number): void { this.tally.sentAt[record] = at }

  /** Node `node` got record `record`; repeats and the origin's own copy do not count. */
  arrived (node: number, record: number, at: number): void {
    if (node === this.#origins[record] || record < 0 || record >= this.#expected.length) return
    const slot = record * this.#width + (node - this.from)
    if (this.#got[slot] === 1) return
    this.#got[slot] = 1
    this.tally.count[record] = (this.tally.count[record] ?? 0) + 1
    if (at > (this.tally.lastAt[record] ?? 0)) this.tally.lastAt[record] = at
  }

  /** True once these nodes hold every record. */
  complete (): boolean {
    return this.#expected.every((want, i) => this.tally.count[i] === want)
  }
}

export interface Merged { timesToAll: number[], deliveries: number }

/**
 * Merges every process's tally, leaving out the first `skip` records (the warm-up). A record's
 * time-to-all is its latest arrival anywhere minus its send time; a record some node never got
 * counts as Infinity, so it shows in the tail.
 */
export function merge (tallies: ShardTally[], nodes: number, skip = 0): Merged {
  const records = tallies[0]?.count.length ?? 0
  const timesToAll: number[] = []
  let deliveries = 0
  for (let i = skip; i < records; i++) {
    let count = 0
    let last = 0
    let sent = Number.NaN
    for (const t of tallies) {
      count += t.count[i] ?? 0
      last = Math.max(last, t.lastAt[i] ?? 0)
      if (!Number.isNaN(t.sentAt[i])) sent = t.sentAt[i] as number
    }
    deliveries += count
    timesToAll.push(count === nodes - 1 ? last - sent : Number.POSITIVE_INFINITY)
  }
  return { timesToAll, deliveries }
}

/**
 * Wall-clock ms with sub-ms resolution. Nodes live in several processes, so arrival and send
 * times must share one clock: the machine's. Date.now() would round every figure to 1 ms.
 */
export function clock (): number {
  return performance.timeOrigin + performance.now()
}

/** Nearest-rank percentile (p in 0..100) of unsorted values, by the drills' quantile. */
export function percentile (values: number[], p: number): number {
  return quantile([...values].sort((x, y) => x - y), p / 100)
}

/**
 * Busy CPU time of the whole machine so far, in ms (Linux /proc/stat; undefined elsewhere).
 * The bench shares two cores with whatever else runs, so it reports how much of the machine
 * others used during its window: tails measured beside another busy process mean little.
 */
export function machineBusyMs (): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
    // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
    const busy = fields.slice(0, 8).reduce((sum, v, i) => i === 3 || i === 4 ? sum : sum + v, 0)
    return (busy * 1000) / 100 // USER_HZ is 100 on Linux
  } catch {
    return undefined
  }
}
