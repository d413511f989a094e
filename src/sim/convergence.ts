/**
 * Time to convergence after a heal (or a member coming back online, restarting, or joining):
 * from the moment links are restored until the live nodes that can reach each other hold
 * identical view digests (everyone, unless a partition or an offline member still divides
 * them; nodes the federation does not count as members are left out, see `outsiders`); and per node, from that moment until it first held the last record it lacked — taken
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
  /** Live nodes whose digest still differed from their side's when the wait ended (none if converged). */
  laggards: string[]
  /** Live nodes left out: most other live nodes do not count them as members (removed, or not admitted yet). */
  outsiders: string[]
}

/**
 * Live nodes the federation does not count as members: a node removed by vote (it is cut off,
 * and may hold records no one else wants) or started before its admission. A node is one when
 * more than half of the other live nodes' rosters do not list it as a current member.
 */
export function outsiders (ctx: DrillContext): string[] {
  const live = ctx.cluster.live()
  return live.filter(id => {
    const others = live.filter(o => o !== id)
    const refusing = others.filter(o => !ctx.cluster.node(o).ledger.roster.current(id)).length
    return others.length > 0 && refusing * 2 > others.length
  })
}

/** Per side, the nodes whose digest is not the side's most common one. */
function laggardsOf (ctx: DrillContext, components: string[][]): string[] {
  return components.flatMap(c => {
    const byDigest = new Map<string, string[]>()
    for (const id of c) { const d = ctx.cluster.node(id).digest(); byDigest.set(d, [...(byDigest.get(d) ?? []), id]) }
    const main = [...byDigest.values()].sort((a, b) => b.length - a.length)[0] ?? []
    return c.filter(id => !main.includes(id))
  }).sort()
}

export async function measureConvergence (ctx: DrillContext, step: string, event: ConvergenceMeasure['event'], timelineStart: number, timeoutMs: number): Promise<ConvergenceMeasure> {
  const at = Date.now()
  const out = new Set(outsiders(ctx))
  const members = (c: string[]): string[] => c.filter(id => !out.has(id))
  const components = ctx.cluster.components().map(members)
  const records = ctx.obs.union(members(ctx.cluster.live())).size
  const before = new Map(components.flatMap(c => { const held = ctx.obs.union(c); return c.map(id => [id, held] as [string, Set<string>]) }))
  let converged = true
  try {
    await pollUntil(() => ctx.cluster.components().map(members).every(c => new Set(c.map(id => ctx.cluster.node(id).digest())).size === 1),
      timeoutMs, 'identical digests on every live member that can reach the others', 20)
  } catch {
    converged = false
  }
  const totalMs = Date.now() - at
  const laggards = converged ? [] : laggardsOf(ctx, ctx.cluster.components().map(members))
  const perNode: Record<string, number> = {}
  for (const id of members(ctx.cluster.live())) {
    let last = 0
    for (const r of before.get(id) ?? []) {
      const t = ctx.obs.firstHeld(id, r)
      if (t != null && t >= at) last = Math.max(last, t - at)
    }
    perNode[id] = last
  }
  return { step, event, at: at - timelineStart, totalMs, converged, perNode, records, laggards, outsiders: [...out].sort() }
}
