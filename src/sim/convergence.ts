/**
 * Time to convergence after a heal (or a member coming back online, restarting, or joining):
 * from the moment links are restored until the live nodes that can reach each other hold
 * identical view digests (everyone, unless a partition or an offline member still divides
 * them); and per node, from that moment until it first held the last record it lacked — taken
 * from the node's own first-held times, for every record a node it can reach held then.
 */
import type { DrillContext } from './conditions.ts'
import { pollUntil } from './poll.ts'

export interface ConvergenceMeasure {
  /** The step, e.g. `timeline[5] heal`. */
  step: string
  event: 'heal' | 'online' | 'restart' | 'start'
  /** ms since the timeline started. */
  at: number
  /** ms from the event until all live digests were identical (or the timeout, if they never were). */
  totalMs: number
  converged: boolean
  /** node → ms until it held everything it lacked (0: it lacked nothing). */
  perNode: Record<string, number>
  /** Records some live node held at the event. */
  records: number
}

export async function measureConvergence (ctx: DrillContext, step: string, event: ConvergenceMeasure['event'], timelineStart: number, timeoutMs: number): Promise<ConvergenceMeasure> {
  const at = Date.now()
  const components = ctx.cluster.components()
  const records = ctx.obs.union(ctx.cluster.live()).size
  const before = new Map(components.flatMap(c => { const held = ctx.obs.union(c); return c.map(id => [id, held] as [string, Set<string>]) }))
  let converged = true
  try {
    await pollUntil(() => ctx.cluster.components().every(c => new Set(c.map(id => ctx.cluster.node(id).digest())).size === 1),
      timeoutMs, 'identical digests on every live node that can reach the others', 20)
  } catch {
    converged = false
  }
  const totalMs = Date.now() - at
  const perNode: Record<string, number> = {}
  for (const id of ctx.cluster.live()) {
    let last = 0
    for (const r of before.get(id) ?? []) {
      const t = ctx.obs.firstHeld(id, r)
      if (t != null && t >= at) last = Math.max(last, t - at)
    }
    perNode[id] = last
  }
  return { step, event, at: at - timelineStart, totalMs, converged, perNode, records }
}
