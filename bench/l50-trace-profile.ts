/**
 * What a traced L50 process was busy with during a time window, from its V8 CPU profile
 * (`ACCORD_BENCH_L50_CPU_PROF=<dir>` beside `ACCORD_BENCH_L50_TRACE`).
 *
 * Each sample is put in the first of `WORK` whose frame is anywhere on its stack, so work done
 * on a record's behalf (receiving, admitting, forwarding) is told apart from work that only
 * happened to run meanwhile (heartbeats, quiet-moment commits, sync rounds, collections).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The L50 workers' CPU-profile sampling interval (`--cpu-prof-interval`, µs; see l50.ts). */
export const CPU_PROFILE_INTERVAL_US = 500

interface ProfileNode { id: number, callFrame: { functionName: string, url: string }, children?: number[] }
export interface CpuProfile { nodes: ProfileNode[], startTime: number, samples: number[], timeDeltas: number[] }

/** Kinds of work, in the order a sample is matched: [label, function name, file (substring)]. */
export const WORK: Array<[label: string, fn: string, file: string]> = [
  ['gossipsub heartbeat', 'heartbeat', 'gossipsub'],
  ['quiet-moment work (commits, young GC)', '#check', 'quiet.ts'],
  ['sync round', '', 'sync-protocol'],
  ['sync round', '', 'sync-scheduler'],
  ['garbage collection', '(garbage collector)', ''],
  ['publishing', 'publish', 'gossipsub'],
  ['forwarding', 'forwardMessage', 'gossipsub'],
  ['admitting (validate, verify, apply)', 'validateReceivedMessage', 'gossipsub'],
  ['gossip RPC handling', 'handleReceivedRpc', 'gossipsub'],
  ['receiving (socket, Noise, Yamux)', 'onStreamRead', '']
]
const IDLE = new Set(['(idle)', '(program)'])

/** Busy samples: [time on the monotonic clock in ms, label of the work]. */
export function labelledSamples (profile: CpuProfile): Array<[number, string]> {
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const labelOf = new Map<number, string | undefined>()
  const label = (id: number): string | undefined => {
    if (labelOf.has(id)) return labelOf.get(id)
    const stack: ProfileNode[] = []
    for (let cur: number | undefined = id; cur != null; cur = parent.get(cur)) {
      const node = byId.get(cur)
      if (node != null) stack.push(node)
    }
    let found: string | undefined = IDLE.has(stack[0]?.callFrame.functionName ?? '') ? undefined : 'other'
    if (found != null) {
      for (const [name, fn, file] of WORK) {
        if (stack.some(n => (fn === '' || n.callFrame.functionName === fn) && (file === '' || n.callFrame.url.includes(file)))) {
          found = name
          break
        }
      }
    }
    labelOf.set(id, found)
    return found
  }
  const out: Array<[number, string]> = []
  let t = profile.startTime
  for (const [i, id] of profile.samples.entries()) {
    t += profile.timeDeltas[i] ?? 0
    const l = label(id)
    if (l != null) out.push([t / 1000, l])
  }
  return out
}

/** The main thread's profile of the worker `pid` in `dir`, if there is one. */
export function loadProfile (dir: string, pid: number): CpuProfile | undefined {
  // Node names them CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main one.
  const file = readdirSync(dir).find(f => f.endsWith('.cpuprofile') && f.split('.')[3] === String(pid) && f.split('.')[4] === '0')
  return file != null ? JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile : undefined
}

/** Busy ms per kind of work in [from, to) (monotonic ms), largest first; samples are ~`intervalMs` apart. */
export function busyIn (samples: Array<[number, string]>, from: number, to: number, intervalMs = CPU_PROFILE_INTERVAL_US / 1000): Array<[string, number]> {
  const ms = new Map<string, number>()
  for (const [t, l] of samples) if (t >= from && t < to) ms.set(l, (ms.get(l) ?? 0) + intervalMs)
  return [...ms].sort((a, b) => b[1] - a[1])
}
