/**
 * Fault steps: partition and heal, kill and restart, offline and online (optionally for a
 * while, then back by itself), and starting a joining member's node. Each step that restores
 * links ends by measuring the time to convergence (unless told `wait: false`).
 */
import type { Step } from './scenario-check.ts'
import { some } from './conditions.ts'
import { formatMs, parseDuration } from './duration.ts'
import { measureConvergence, type ConvergenceMeasure } from './convergence.ts'
import { sleep } from './poll.ts'
import type { RunState } from './steps.ts'

export class ConvergenceError extends Error {
  static override name = 'ConvergenceError'
  constructor (message: string) { super(message); this.name = 'ConvergenceError' }
}

const records = (n: number): string => `${n} record${n === 1 ? '' : 's'}`

/** The nodes a convergence left out (see `outsiders`), said once for the step and its error. */
const leftOut = (m: ConvergenceMeasure): string => `${m.outsiders.join(', ')} left out: not ${m.outsiders.length === 1 ? 'a member' : 'members'} to the others`

function describe (m: ConvergenceMeasure): string {
  const slowest = Object.entries(m.perNode).sort((a, b) => b[1] - a[1])[0]
  const left = m.outsiders.length > 0 ? `; ${leftOut(m)}` : ''
  return m.converged
    ? `converged in ${formatMs(m.totalMs)} (${records(m.records)}; slowest ${slowest?.[0] ?? '—'} ${formatMs(slowest?.[1] ?? 0)}${left})`
    : `not converged after ${formatMs(m.totalMs)}${left}`
}

async function converge (run: RunState, step: Step, event: ConvergenceMeasure['event'], timeoutMs: number): Promise<string> {
  const m = await measureConvergence(run, `${step.where} ${step.label}`, event, run.timelineStart, timeoutMs)
  run.measures.push(m)
  if (!m.converged) {
    const left = m.outsiders.length > 0 ? ` (${leftOut(m)})` : ''
    throw new ConvergenceError(`live nodes did not converge within ${formatMs(timeoutMs)} of the ${event}: ${m.laggards.join(', ')} still ${m.laggards.length === 1 ? 'differs' : 'differ'} from the rest of ${m.laggards.length === 1 ? 'its' : 'their'} side${left}`)
  }
  return describe(m)
}

/** Members a partition group names: ids, regions, and `rest` (everyone not in another group). */
export function resolveGroups (groups: string[][], run: RunState): string[][] {
  const { fed } = run
  const named = groups.map(g => g.filter(t => t !== 'rest').flatMap(t => fed.member(t) != null ? [t] : fed.ids.filter(id => fed.region(id) === t)))
  const placed = new Set(named.flat())
  return groups.map((g, i) => [...new Set([...(named[i] as string[]), ...(g.includes('rest') ? fed.ids.filter(id => !placed.has(id)) : [])])].sort())
}

export async function runFaultStep (step: Step, run: RunState): Promise<string> {
  const { cluster } = run
  switch (step.kind) {
    case 'partition': {
      const groups = resolveGroups(step.args.groups, run)
      await cluster.partition(groups)
      return groups.map((g, i) => `${(step.args.groups[i] as string[]).join('+')} (${some(g, 4)})`).join(' | ')
    }
    case 'heal': {
      await cluster.heal()
      return step.args.wait === false ? 'links restored' : await converge(run, step, 'heal', step.timeoutMs)
    }
    case 'kill': {
      const held = await cluster.kill(step.args.node)
      return `${step.args.node} killed abruptly holding ${records(held)}`
    }
    case 'restart': {
      const node = await cluster.restart(step.args.node)
      const from = `${step.args.node} restarted from its data (${records(node.ledger.size)})`
      return step.args.wait === false ? from : `${from}; ${await converge(run, step, 'restart', step.timeoutMs)}`
    }
    case 'offline': {
      const { node, for: duration } = step.args
      await cluster.setOffline(node, true)
      if (duration == null) return `${node} offline`
      const ms = parseDuration(duration)
      run.background.push((async () => {
        await sleep(ms)
        if (!cluster.isOffline(node)) return
        await cluster.setOffline(node, false)
        try {
          run.status(`${node} back online after ${formatMs(ms)}: ${await converge(run, step, 'online', step.timeoutMs)}`)
        } catch (err) {
          run.backgroundFailures.push(`${step.where} (${node} back online after ${formatMs(ms)}): ${(err as Error).message}`)
        }
      })())
      return `${node} offline for ${formatMs(ms)}`
    }
    case 'online': {
      await cluster.setOffline(step.args.node, false)
      return step.args.wait === false ? `${step.args.node} online` : `${step.args.node} online; ${await converge(run, step, 'online', step.timeoutMs)}`
    }
    case 'start': {
      await cluster.start(step.args.node)
      run.started.add(step.args.node)
      return `${step.args.node} started; ${await converge(run, step, 'start', step.timeoutMs)}`
    }
    default: throw new Error(`not a fault step: ${step.kind}`)
  }
}
