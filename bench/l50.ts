/**
 * Bench L50: 50 nodes on a sparse topology (ring plus seeded chords), 1 KiB records at 10/s
 * from random members, after 3 s of the same load left out of the figures (JIT and caches
 * warming, as in any steady-state benchmark) → time-to-all-nodes p50/p95/p99, delivery %, CPU
 * ms per delivery and RSS per node, for Accord and, in the same run, for stock gossipsub
 * carrying the same bytes over the same links. Target: p99 ≤ 75 ms, ≥ 4× better than the
 * baseline, 100 %.
 *
 * The modes take turns, never together, each run in fresh child processes (l50-worker.ts) that
 * share its nodes; arrival and send times are wall-clock, so they compare across processes.
 * The load is split into rounds of ≥ 30 s each, in the order A B, B A, A B, …, and each mode's
 * figures pool all its rounds' records: whatever state the machine is in over those minutes, and
 * whichever mesh a run happens to form, both modes get a share of it.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { clock, machineBusyMs, merge, percentile } from './l50-load.ts'
import { progress } from './progress.ts'
import type { FromWorker, L50Job, L50Mode, ShardReport, ToWorker } from './l50-worker.ts'
import { CPU_PROFILE_INTERVAL_US } from './l50-trace-profile.ts'

export interface L50Options {
  /** @default ACCORD_BENCH_L50_NODES or 50 */
  nodes?: number
  /**
   * Seconds of load per mode, over all rounds: at least the target's 30 per round. The default
   * is 90 (900 records), so a p99 is the 9th-slowest record, not the 3rd: with 30 s the
   * baseline's two-process p99 swung from 79 to 217 ms between runs, and the ratio with it.
   * @default ACCORD_BENCH_L50_SECONDS or 90
   */
  seconds?: number
  /**
   * Runs per mode that share the seconds, the modes taking turns (A B, B A, A B, …). One
   * 90 s run per mode let the machine's state and the mesh that formed decide the ratio:
   * identical Accord runs a minute apart used 1.17 and 1.72 ms of CPU per delivery.
   * @default ACCORD_BENCH_L50_ROUNDS or 3
   */
  rounds?: number
  /**
   * Process counts to run the swarms in, one full comparison each.
   * @default ACCORD_BENCH_L50_PROCS (comma-separated) or [1, 2, 4]
   */
  processes?: number[]
  /** @default 10 */
  ratePerSec?: number
  /** Seconds of the same load first, left out of the figures. @default ACCORD_BENCH_L50_WARMUP or 3 */
  warmupSeconds?: number
  /** Bound on the wait for stragglers after the load. @default 15 000 */
  drainMs?: number
}

export interface ModeFigures {
  mode: L50Mode
  nodes: number
  processes: number
  /** Runs pooled into these figures, and each one's own p99 (how far runs differ). */
  rounds: number
  roundP99s: number[]
  records: number
  /** Every measured record's time to all nodes in ms, pooled (Infinity where some node never got it). */
  timesToAll: number[]
  /** Time-to-all-nodes in ms; Infinity when over that share of records some node never got. */
  p50: number
  p95: number
  p99: number
  max: number
  deliveryPct: number
  deliveries: number
  cpuMsPerDelivery: number
  /** CPU time over wall time of the load and drain window, in cores (the machine has 2). */
  cpuCores: number
  /** CPU other processes used meanwhile, in cores (undefined where /proc/stat is missing). */
  otherCores?: number
  rssMiBPerNode: number
  meshMs: number
  publishErrors: number
}

export interface L50Figures {
  nodes: number
  seconds: number
  rounds: number
  ratePerSec: number
  accord: ModeFigures
  baseline: ModeFigures
  /** baseline / accord: above 1 means Accord is faster. */
  ratioP50: number
  ratioP99: number
  processes: number
  /** p99 ≤ 75 ms, ratio ≥ 4× and 100 % delivery, all three; undefined below the spec's scale. */
  meetsTarget?: boolean
  /**
   * The libp2p stack alone (l50-stack-swarm.ts), one run, and the most any record layer on it
   * could show: the p99 and p50 of the baseline's run in the same round over the stack's.
   */
  floor: { stack: ModeFigures, ceilingP99: number, ceilingP50: number, besideP99: number }
}

export const L50_TARGET = { p99Ms: 75, ratio: 4, deliveryPct: 100, nodes: 50, seconds: 30 } as const

const WORKER = fileURLToPath(new URL('./l50-worker.ts', import.meta.url))

/** A forked worker and the one reply it owes us. */
class Worker {
  readonly child: ChildProcess
  #pending?: { resolve: (m: FromWorker) => void, reject: (e: Error) => void }
  #exited = false

  constructor (readonly label: string) {
    // ACCORD_BENCH_L50_CPU_PROF=<dir>: each worker writes a V8 CPU profile there (0.5 ms samples).
    const profile = process.env.ACCORD_BENCH_L50_CPU_PROF
    const execArgv = ['--import', 'tsx', '--expose-gc', ...(process.env.ACCORD_BENCH_L50_NODE_ARGS ?? '').split(' ').filter(a => a !== ''), ...(profile != null ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-interval=${CPU_PROFILE_INTERVAL_US}`] : [])]
    // Profiling keeps helper threads at normal priority: the profiler's sampler is one of them.
    const env = profile != null ? { ...process.env, ACCORD_HELPER_PRIORITY: 'keep' } : process.env
    this.child = fork(WORKER, [], { execArgv, env, serialization: 'advanced' })
    this.child.on('message', (msg: FromWorker) => {
      const pending = this.#pending
      this.#pending = undefined
      if (msg.step === 'failed') pending?.reject(new Error(`${label}: ${msg.error}`))
      else pending?.resolve(msg)
    })
    this.child.on('exit', code => {
      this.#exited = true
      this.#pending?.reject(new Error(`${label} exited (${code}) before answering`))
      this.#pending = undefined
    })
  }

  async ask<S extends FromWorker['step']> (msg: ToWorker, expect: S): Promise<Extract<FromWorker, { step: S }>> {
    const reply = await new Promise<FromWorker>((resolve, reject) => {
      this.#pending = { resolve, reject }
      this.child.send(msg)
    })
    if (reply.step !== expect) throw new Error(`${this.label} answered ${reply.step}, not ${expect}`)
    return reply as Extract<FromWorker, { step: S }>
  }

  async exited (): Promise<void> {
    if (!this.#exited) await new Promise(resolve => this.child.once('exit', resolve))
  }
}

/**
 * One mode, its nodes split in contiguous ranges across `processes` workers. Two cores cannot
 * host 50 machines, and how the nodes are packed changes what is measured: in one process the
 * 50 nodes share one JS thread, so every delivery queues behind the other nodes' work and the
 * swarm has one core's worth of CPU (which mode fits in it shows); in two, one per core, the
 * machine's whole CPU is used and each node waits behind 24 others; in four, fewer nodes share
 * a thread but processes outnumber cores. By default the bench runs all three and judges each
 * (more processes add per-process cost — JIT, timers, GC heaps — and both modes used more CPU
 * per delivery at 10 and at 50 processes, so the sweep stops at four).
 */
export async function runMode (job: L50Job, processes: number): Promise<ModeRun> {
  const bounds = Array.from({ length: processes + 1 }, (_, k) => Math.round((k * job.nodes) / processes))
  const workers = Array.from({ length: processes }, (_, k) => new Worker(`L50 ${job.mode} worker ${k + 1}/${processes}`))
  // Steps: each worker's start, then meshes, load, report and stop.
  const bar = progress(`L50 ${job.mode}`, processes + 4)
  try {
    // In index order: node i dials only lower indices, so earlier ranges must be listening.
    const addrs: Record<number, string> = {}
    let rssDelta = 0
    for (const [k, w] of workers.entries()) {
      // Several processes: each main thread on its own core (see pinToCpu in l50-worker.ts).
      const cpu = processes > 1 ? k % availableParallelism() : undefined
      const started = await w.ask({ step: 'start', job, from: bounds[k] as number, to: bounds[k + 1] as number, addrs, ...(cpu != null ? { cpu } : {}) }, 'started')
      Object.assign(addrs, started.addrs)
      bar.tick()
    }
    const meshed = await Promise.all(workers.map(async w => await w.ask({ step: 'mesh' }, 'meshed')))
    bar.tick()
    // One start time for all, a little ahead so every worker is waiting for it.
    const at = clock() + 500
    // The whole machine's busy time over the same window, to show what else ran meanwhile.
    const busyAtStart = new Promise<number | undefined>(resolve => setTimeout(() => { resolve(machineBusyMs()) }, at - clock()))
    await Promise.all(workers.map(async w => await w.ask({ step: 'load', at }, 'drained')))
    const busy0 = await busyAtStart
    const busy1 = machineBusyMs()
    bar.tick()
    const windowMs = clock() - at
    const machineMs = busy0 != null && busy1 != null ? busy1 - busy0 : undefined
    const reports: ShardReport[] = []
    for (const w of workers) reports.push((await w.ask({ step: 'report' }, 'reported')).report)
    await Promise.all(workers.map(async w => await w.ask({ step: 'stop' }, 'stopped')))
    await Promise.all(workers.map(async w => { await w.exited() }))
    bar.done()

    const { timesToAll, deliveries } = merge(reports.map(r => r.tally), job.nodes, job.warmupRecords)
    for (const r of reports) rssDelta += r.rssDelta
    return {
      timesToAll,
      deliveries,
      cpuMs: reports.reduce((sum, r) => sum + r.cpuMs, 0),
      wallMs: Math.max(...reports.map(r => r.wallMs)),
      ...(machineMs != null ? { machineMs, windowMs } : {}),
      rssDelta,
      meshMs: Math.max(...meshed.map(m => m.meshMs)),
      publishErrors: reports.reduce((sum, r) => sum + r.publishErrors, 0)
    }
  } finally {
    // Only on failure is any still running: end exactly the workers this run forked.
    for (const w of workers) if (w.child.exitCode == null && w.child.signalCode == null) w.child.kill()
  }
}

/** What one run of one mode measured, before it is pooled with the mode's other runs. */
export interface ModeRun {
  /** Per measured record, in ms (Infinity where some node never got it). */
  timesToAll: number[]
  deliveries: number
  /** The swarm's CPU time, and the wall time it was measured over (load and drain). */
  cpuMs: number
  wallMs: number
  /** The whole machine's busy time over the window (undefined where /proc/stat is missing). */
  machineMs?: number
  windowMs?: number
  rssDelta: number
  meshMs: number
  publishErrors: number
}

/** One mode's figures from all its runs: records pooled, CPU and time summed, memory averaged. */
export function poolRuns (mode: L50Mode, nodes: number, processes: number, runs: ModeRun[]): ModeFigures {
  const timesToAll = runs.flatMap(r => r.timesToAll)
  const deliveries = runs.reduce((sum, r) => sum + r.deliveries, 0)
  const cpuMs = runs.reduce((sum, r) => sum + r.cpuMs, 0)
  const cpuCores = cpuMs / runs.reduce((sum, r) => sum + r.wallMs, 0)
  const machineCores = runs.every(r => r.machineMs != null && r.windowMs != null)
    ? runs.reduce((sum, r) => sum + (r.machineMs ?? 0), 0) / runs.reduce((sum, r) => sum + (r.windowMs ?? 0), 0)
    : undefined
  return {
    mode,
    nodes,
    processes,
    rounds: runs.length,
    roundP99s: runs.map(r => percentile(r.timesToAll, 99)),
    records: timesToAll.length,
    timesToAll,
    p50: percentile(timesToAll, 50),
    p95: percentile(timesToAll, 95),
    p99: percentile(timesToAll, 99),
    max: percentile(timesToAll, 100),
    deliveryPct: (deliveries / (timesToAll.length * (nodes - 1))) * 100,
    deliveries,
    cpuMsPerDelivery: deliveries > 0 ? cpuMs / deliveries : Number.NaN,
    cpuCores,
    ...(machineCores != null ? { otherCores: Math.max(0, machineCores - cpuCores) } : {}),
    rssMiBPerNode: runs.reduce((sum, r) => sum + r.rssDelta, 0) / runs.length / nodes / (1024 * 1024),
    meshMs: Math.max(...runs.map(r => r.meshMs)),
    publishErrors: runs.reduce((sum, r) => sum + r.publishErrors, 0)
  }
}

/** The options with their defaults (environment variables, then the spec's values). */
export function l50Settings (opts: L50Options = {}): Required<L50Options> {
  const nodes = opts.nodes ?? Number(process.env.ACCORD_BENCH_L50_NODES ?? 50)
  const rounds = opts.rounds ?? Number(process.env.ACCORD_BENCH_L50_ROUNDS ?? 3)
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`L50 rounds must be a whole number ≥ 1 (ACCORD_BENCH_L50_ROUNDS), not ${rounds}`)
  return {
    nodes,
    seconds: opts.seconds ?? Number(process.env.ACCORD_BENCH_L50_SECONDS ?? 90),
    rounds,
    processes: (opts.processes ?? (process.env.ACCORD_BENCH_L50_PROCS ?? '1,2,4').split(',').map(Number))
      .map(n => Math.min(nodes, n)).filter(n => Number.isInteger(n) && n >= 1),
    ratePerSec: opts.ratePerSec ?? 10,
    warmupSeconds: opts.warmupSeconds ?? Number(process.env.ACCORD_BENCH_L50_WARMUP ?? 3),
    drainMs: opts.drainMs ?? 15_000
  }
}

export function l50Heading (opts: L50Options = {}): string {
  const s = l50Settings(opts)
  const rounds = s.rounds > 1 ? ` in ${s.rounds} rounds of ${(s.seconds / s.rounds).toFixed(0)} s, the modes taking turns` : ''
  return `## L50: ${s.nodes} nodes, sparse topology, 1 KiB records at ${s.ratePerSec}/s for ${s.seconds} s${rounds} (each after ${s.warmupSeconds} s of the same load, not counted)`
}

/** One full comparison per process count. */
export async function benchL50 (opts: L50Options = {}): Promise<L50Figures[]> {
  const settings = l50Settings(opts)
  const out: L50Figures[] = []
  for (const processes of settings.processes) out.push(await compare(settings, processes))
  return out
}

async function compare ({ nodes, seconds, rounds, ratePerSec, drainMs, warmupSeconds }: Required<L50Options>, processes: number): Promise<L50Figures> {
  const warmupRecords = Math.round(warmupSeconds * ratePerSec)
  const job = (mode: L50Mode): L50Job => ({ mode, nodes, seconds: seconds / rounds, ratePerSec, drainMs, meshTimeoutMs: 60_000, warmupRecords })
  const runs: Record<L50Mode, ModeRun[]> = { accord: [], baseline: [], stack: [] }
  // Sequential, never together (the two swarms would share the two cores), and in turns that
  // balance out: A B, B A, A B, …, so neither mode always runs first or on a warmer machine.
  // The floor (the stack alone) runs once, between the two modes of the middle round.
  const floorRound = Math.floor(rounds / 2)
  for (let round = 0; round < rounds; round++) {
    const order: L50Mode[] = round % 2 === 0 ? ['accord', 'baseline'] : ['baseline', 'accord']
    if (round === floorRound) order.splice(1, 0, 'stack')
    for (const mode of order) runs[mode].push(await runMode(job(mode), processes))
  }
  const accord = poolRuns('accord', nodes, processes, runs.accord)
  const baseline = poolRuns('baseline', nodes, processes, runs.baseline)
  const stack = poolRuns('stack', nodes, processes, runs.stack)
  const ratioP50 = baseline.p50 / accord.p50
  const ratioP99 = baseline.p99 / accord.p99
  // A quick run (fewer nodes, shorter rounds) says nothing about the target either way.
  const full = nodes >= L50_TARGET.nodes && seconds / rounds >= L50_TARGET.seconds && ratePerSec >= 10
  const meets = accord.p99 <= L50_TARGET.p99Ms && ratioP99 >= L50_TARGET.ratio && accord.deliveryPct >= L50_TARGET.deliveryPct
  // The baseline's rounds around the floor's run, for a like-for-like ceiling.
  const beside = poolRuns('baseline', nodes, processes, [runs.baseline[floorRound] as ModeRun])
  const floor = { stack, ceilingP99: beside.p99 / stack.p99, ceilingP50: beside.p50 / stack.p50, besideP99: beside.p99 }
  return { nodes, seconds, rounds, ratePerSec, processes, accord, baseline, ratioP50, ratioP99, floor, ...(full ? { meetsTarget: meets } : {}) }
}

/** "1 process", "4 processes". */
export const inProcesses = (n: number): string => `${n} process${n === 1 ? '' : 'es'}`

const ms = (n: number): string => Number.isFinite(n) ? `${n.toFixed(1)} ms` : '∞ (not all nodes)'
const times = (n: number): string => Number.isNaN(n) ? 'n/a' : Number.isFinite(n) ? `${n.toFixed(1)}×` : '∞'

/** Two lines per mode: the figures the target is about, then what helps read them. */
export function modeLines (f: ModeFigures): string[] {
  const errors = f.publishErrors > 0 ? `, ${f.publishErrors} publish errors` : ''
  const others = f.otherCores != null ? `, other processes ${f.otherCores.toFixed(2)}` : ''
  return [
    `${f.mode.padEnd(8)}: p50 ${ms(f.p50)}, p95 ${ms(f.p95)}, p99 ${ms(f.p99)}, delivery ${f.deliveryPct.toFixed(1)} %, ` +
      `CPU ${f.cpuMsPerDelivery.toFixed(2)} ms/delivery, RSS ${f.rssMiBPerNode.toFixed(1)} MiB/node`,
    `          (max ${ms(f.max)}; ${f.records} records in ${f.rounds} run${f.rounds === 1 ? '' : 's'}${f.rounds > 1 ? ` with p99s of ${f.roundP99s.map(n => n.toFixed(1)).join(', ')} ms` : ''}; ` +
      `${inProcesses(f.processes)}; links and meshes up in ≤ ${f.meshMs} ms; ` +
      `cores busy: bench ${f.cpuCores.toFixed(2)}${others}${errors})`
  ]
}

export function targetWord (f: L50Figures): string {
  if (f.meetsTarget == null) return `not judged (quick run: the target is for ${L50_TARGET.nodes} nodes × ≥ ${L50_TARGET.seconds} s a run)`
  return f.meetsTarget ? 'met' : 'NOT met'
}

/** One line for the bench's closing summary. */
export function l50Summary (f: L50Figures): string {
  return `L50 in ${inProcesses(f.processes)}: accord p99 ${ms(f.accord.p99)} (target ≤ ${L50_TARGET.p99Ms} ms), baseline/accord p99 ${times(f.ratioP99)} ` +
    `(target ≥ ${L50_TARGET.ratio}×), delivery ${f.accord.deliveryPct.toFixed(1)} % (target ${L50_TARGET.deliveryPct} %): ${targetWord(f)}`
}

/** The section's lines after its heading, in the bench's house style. */
export function l50Lines (f: L50Figures): string[] {
  return [
    `### ${f.nodes} nodes in ${inProcesses(f.processes)}`,
    ...modeLines(f.accord),
    ...modeLines(f.baseline),
    `ratio   : p99 baseline/accord = ${times(f.ratioP99)}, p50 baseline/accord = ${times(f.ratioP50)} ` +
      `(target ≥ ${L50_TARGET.ratio}×; accord p99 target ≤ ${L50_TARGET.p99Ms} ms; ${L50_TARGET.deliveryPct} % delivery)`,
    `target  : ${targetWord(f)}`,
    ...modeLines(f.floor.stack),
    `floor   : the libp2p stack alone as Accord assembles it, records accepted unread (no check, no store): ` +
      `against the baseline's run of that round (p99 ${ms(f.floor.besideP99)}), a record layer on this stack could show at most about ` +
      `p99 ${times(f.floor.ceilingP99)} / p50 ${times(f.floor.ceilingP50)}; Accord's record work costs ` +
      `${(f.accord.cpuMsPerDelivery - f.floor.stack.cpuMsPerDelivery).toFixed(2)} ms CPU per delivery on top`
  ]
}
