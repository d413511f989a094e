/**
 * One process's share of an L50 swarm, forked by l50.ts (`node --import tsx --expose-gc`) and
 * driven step by step over IPC: start its nodes, wait for their meshes, pace the load of the
 * records it hosts the origin of, wait for stragglers, report, stop.
 *
 * Fresh processes per mode also keep RSS and CPU to that mode alone: the parent holds the
 * ingest bench's heap, and memory the other mode freed would be reused and hide growth.
 */
import '../src/polyfill.ts'
import { execFileSync } from 'node:child_process'
import { waitFor } from '../test/fixtures.ts'
import { clock, memberIds, planLoad, ShardArrivals, topology, type ShardTally } from './l50-load.ts'
import type { ShardInit, Swarm } from './l50-swarm.ts'
import { ShardTrace } from './l50-trace.ts'

/** Accord; stock gossipsub (the baseline); the libp2p stack alone as Accord assembles it (the floor). */
export type L50Mode = 'accord' | 'baseline' | 'stack'

/** Each mode's swarm, loaded on demand: only the running mode's code enters a worker. */
const SWARMS: Record<L50Mode, () => Promise<(init: ShardInit) => Promise<Swarm>>> = {
  accord: async () => (await import('./l50-accord-swarm.ts')).accordSwarm,
  baseline: async () => (await import('./l50-baseline-swarm.ts')).baselineSwarm,
  stack: async () => (await import('./l50-stack-swarm.ts')).stackSwarm
}

export interface L50Job {
  mode: L50Mode
  nodes: number
  seconds: number
  ratePerSec: number
  drainMs: number
  meshTimeoutMs: number
  /** Records sent first at the same pace and left out of every figure (JIT, caches, meshes settling). */
  warmupRecords: number
}

/** Parent → worker, in this order. */
export type ToWorker =
  /** `cpu`: the core this process's main thread runs on (several processes on one machine). */
  | { step: 'start', job: L50Job, from: number, to: number, addrs: Record<number, string>, cpu?: number }
  | { step: 'mesh' }
  /** Load begins at wall-clock `at` for every process at once. */
  | { step: 'load', at: number }
  | { step: 'report' }
  | { step: 'stop' }

export interface ShardReport { tally: ShardTally, cpuMs: number, wallMs: number, rssDelta: number, publishErrors: number }

/** Worker → parent: one answer per step, or the error that ended it. */
export type FromWorker =
  | { step: 'started', addrs: Record<number, string> }
  | { step: 'meshed', meshMs: number }
  | { step: 'drained' }
  | { step: 'reported', report: ShardReport }
  | { step: 'stopped' }
  | { step: 'failed', error: string }

/**
 * Keeps this process's main thread (and threads it starts from now on) on one core. 50 nodes
 * on one machine is an artifact of the bench: each would have its own machine. Unpinned, the
 * kernel places a process woken by a loopback packet on the sender's core ("wake affine"),
 * and the two busiest threads then share one core for a scheduler tick while the other core
 * idles: ~4 ms stalls in the middle of a record's path (measured at 1 record/s: 141–200 per run
 * unpinned, 88 pinned), in whichever mode is running. Both modes are pinned alike. Needs util-linux's taskset; without
 * it the run goes on unpinned.
 */
function pinToCpu (cpu: number): void {
  try {
    execFileSync('taskset', ['-pc', String(cpu), String(process.pid)], { stdio: 'ignore' })
  } catch {
    // No taskset (or not Linux): unpinned.
  }
}

const gc = (): void => { (globalThis as { gc?: () => void }).gc?.() }
const sleepUntil = async (at: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, Math.max(0, at - clock()))) }

class Shard {
  swarm?: Swarm
  arrivals?: ShardArrivals
  job?: L50Job
  rssBefore = 0
  rssDelta = 0
  publishErrors = 0
  cpu0 = process.cpuUsage()
  wall0 = 0
  /** Only with ACCORD_BENCH_L50_TRACE=<dir>: see l50-trace.ts. */
  trace?: ShardTrace
  loadAt = 0

  async handle (msg: ToWorker): Promise<FromWorker> {
    switch (msg.step) {
      case 'start': {
        const { job, from, to } = msg
        this.job = job
        if (msg.cpu != null) pinToCpu(msg.cpu)
        const ids = memberIds(job.nodes)
        // Every process derives the same graph and load from the same seeds.
        const plan = planLoad(ids, job.warmupRecords + Math.round(job.seconds * job.ratePerSec))
        const arrivals = this.arrivals = new ShardArrivals(from, to, plan)
        const traceDir = process.env.ACCORD_BENCH_L50_TRACE
        const trace = this.trace = traceDir != null ? new ShardTrace(traceDir, { from, to, warmup: job.warmupRecords, origins: plan.map(p => p.origin) }) : undefined
        gc()
        this.rssBefore = process.memoryUsage().rss
        // Only this mode's swarm is loaded: Accord's network room patches libp2p as it loads.
        const make = await SWARMS[job.mode]()
        this.swarm = await make({
          ids, links: topology(job.nodes), plan, from, to, addrs: msg.addrs,
          arrived: (node, record) => {
            const at = clock()
            arrivals.arrived(node, record, at)
            trace?.arrived(record, node, at)
          }
        })
        return { step: 'started', addrs: this.swarm.addrs }
      }
      case 'mesh': {
        // Every link up and every mesh formed: Accord nodes dial in the background, and a
        // record sent while handshakes (or gossipsub's mesh warm-up) are still going on would
        // measure start-up, not steady-state delivery.
        const start = Date.now()
        const swarm = this.#swarm()
        await waitFor(() => swarm.linked() && swarm.meshSizes().every(n => n >= 2), 'every link up and ≥ 2 mesh peers per node', this.job?.meshTimeoutMs, 50)
        // Memory once the nodes are up and linked (connections, streams and meshes included).
        gc()
        this.rssDelta = process.memoryUsage().rss - this.rssBefore
        return { step: 'meshed', meshMs: Date.now() - start }
      }
      case 'load': {
        const job = this.job as L50Job
        const swarm = this.#swarm()
        const arrivals = this.arrivals as ShardArrivals
        const interval = 1000 / job.ratePerSec
        this.loadAt = msg.at
        await sleepUntil(msg.at)
        // CPU and wall time count from the first measured record's slot, after the warm-up.
        const measureFrom = msg.at + job.warmupRecords * interval
        setTimeout(() => { this.cpu0 = process.cpuUsage(); this.wall0 = clock() }, Math.max(0, measureFrom - clock()))
        // The load's pacing is the one deliberate wait: record i goes out at start + i / rate,
        // measured from the start so a late timer does not push every later record back.
        for (let i = 0; i < arrivals.tally.sentAt.length; i++) {
          if (!arrivals.hosts(i)) continue
          await sleepUntil(msg.at + i * interval)
          arrivals.sent(i, clock())
          swarm.publish(i).catch(() => { this.publishErrors++ })
        }
        // Stragglers: bounded from the end of the whole load, and polled so a complete run
        // does not idle out the bound.
        await sleepUntil(msg.at + arrivals.tally.sentAt.length * interval)
        // A timeout is no failure: what never arrived shows as delivery below 100 %.
        await waitFor(() => arrivals.complete(), 'stragglers', job.drainMs, 25).catch(() => undefined)
        return { step: 'drained' }
      }
      case 'report': {
        const cpu = process.cpuUsage(this.cpu0)
        const arrivals = this.arrivals as ShardArrivals
        // One directory per run: every process of a run shares its load's start time.
        this.trace?.write(this.job?.mode ?? 'accord', this.loadAt, arrivals.tally.sentAt)
        const report: ShardReport = {
          tally: arrivals.tally,
          cpuMs: (cpu.user + cpu.system) / 1000,
          wallMs: clock() - this.wall0,
          rssDelta: this.rssDelta,
          publishErrors: this.publishErrors
        }
        return { step: 'reported', report }
      }
      case 'stop':
        await this.swarm?.stop()
        return { step: 'stopped' }
    }
  }

  #swarm (): Swarm {
    if (this.swarm == null) throw new Error('no swarm started')
    return this.swarm
  }
}

if (process.send != null) {
  const shard = new Shard()
  // However this process ends early (a failed step, the parent killing it or going away), its
  // nodes stop and its temp dir goes; the nodes' own timers would otherwise keep it alive.
  const bail = (code: number): void => { void (shard.swarm?.stop() ?? Promise.resolve()).finally(() => process.exit(code)) }
  process.once('SIGTERM', () => { bail(1) })
  process.once('disconnect', () => { bail(1) })
  process.on('message', (msg: ToWorker) => {
    shard.handle(msg).then(
      reply => { process.send?.(reply, () => { if (reply.step === 'stopped') process.exit(0) }) },
      (err: Error) => { process.send?.({ step: 'failed', error: err.stack ?? String(err) }, () => { bail(1) }) }
    )
  })
}
