/**
 * What a drill can wait for and expect, evaluated on the nodes themselves: their view digests,
 * the records their ledgers hold, and the governance view each derives from its own state
 * (red lines, mandates and deadlines at this moment, membership, corroborations, forks).
 */
import { membership, redlines } from '../records/index.ts'
import type { AccordNode } from '../node/accord-node.ts'
import type { DrillFederation } from './federation.ts'
import type { SimCluster } from './sim-cluster.ts'
import type { Observations } from './observations.ts'
import type { CheckKind, Condition } from './scenario-schema.ts'
import { formatMs } from './duration.ts'

export interface DrillContext {
  fed: DrillFederation
  cluster: SimCluster
  obs: Observations
  /** Ids of every record a `forge` step made. */
  forged: Set<string>
  /** Members whose node has run at some point of the drill. */
  started: Set<string>
}

export interface Outcome { ok: boolean, message: string }

/** "JP, KR, SG and 4 more" */
export function some (ids: string[], max = 6): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`
}

/** The nodes a selector names: all, live, regions, member ids, `-X` leaving X out. Default: live. */
export function selectNodes (selector: string | string[] | undefined, ctx: DrillContext): string[] {
  const tokens = selector == null ? ['live'] : Array.isArray(selector) ? selector : [selector]
  const everyone = ctx.fed.ids.filter(id => ctx.fed.member(id)?.founder === true || ctx.started.has(id))
  const expand = (t: string): string[] => t === 'all' ? everyone : t === 'live' ? ctx.cluster.live() : ctx.fed.member(t) != null ? [t] : everyone.filter(id => ctx.fed.region(id) === t)
  const plus = tokens.filter(t => !t.startsWith('-'))
  const minus = new Set(tokens.filter(t => t.startsWith('-')).flatMap(t => expand(t.slice(1))))
  const base = plus.length === 0 ? ctx.cluster.live() : plus.flatMap(expand)
  return [...new Set(base)].filter(id => !minus.has(id)).sort()
}

/** Record ids written under a label so far. */
export function idsOf (label: string, ctx: DrillContext): string[] { return ctx.obs.labels.get(label) ?? [] }

export function evaluate (c: Condition, check: CheckKind, ctx: DrillContext, withinMs?: number): Outcome {
  const ids = selectNodes(c.nodes, ctx)
  const down = ids.filter(id => !ctx.cluster.isLive(id))
  if (ids.length === 0) return { ok: false, message: 'no node matches' }
  if (down.length > 0 && check !== 'forged') return { ok: false, message: `${some(down)} ${down.length === 1 ? 'is' : 'are'} not running` }
  const nodes = ids.map(id => ctx.cluster.node(id))
  switch (check) {
    case 'converged': return converged(nodes, c.converged !== false)
    case 'holds': return holds(nodes, [c.holds ?? []].flat(), ctx, true, withinMs)
    case 'lacks': return holds(nodes, [c.lacks ?? []].flat(), ctx, false)
    case 'forged': return forgedNowhere(ctx)
    default: return perNode(nodes, node => nodeCheck(node, c, check))
  }
}

function converged (nodes: AccordNode[], want: boolean): Outcome {
  const byDigest = new Map<string, string[]>()
  for (const n of nodes) byDigest.set(n.digest(), [...(byDigest.get(n.digest()) ?? []), n.id])
  const groups = [...byDigest.values()].sort((a, b) => b.length - a.length)
  if (want) {
    if (groups.length === 1) return { ok: true, message: nodes.length === 1 ? 'a single node: nothing to compare' : `${nodes.length} nodes hold identical digests` }
    const differing = groups.slice(1).flat()
    return { ok: false, message: `${groups.length} different digests among ${nodes.length} nodes; ${some(differing)} ${differing.length === 1 ? 'differs' : 'differ'} from the ${groups[0]?.length ?? 0} that agree` }
  }
  return groups.length > 1 ? { ok: true, message: `${groups.length} different digests` } : { ok: false, message: `all ${nodes.length} nodes hold identical digests` }
}

function holds (nodes: AccordNode[], labels: string[], ctx: DrillContext, want: boolean, withinMs?: number): Outcome {
  const problems: string[] = []
  for (const label of labels) {
    const ids = idsOf(label, ctx)
    if (ids.length === 0) { problems.push(`no record "${label}" was written yet`); continue }
    for (const id of ids) {
      const wrong = nodes.filter(n => n.ledger.has(id) !== want).map(n => n.id)
      if (wrong.length > 0) { problems.push(`${some(wrong)} ${want ? (wrong.length === 1 ? 'lacks' : 'lack') : (wrong.length === 1 ? 'holds' : 'hold')} ${label}`); continue }
      if (!want || withinMs == null) continue
      const written = ctx.obs.writtenAt(id)
      const late = nodes.map(n => ({ id: n.id, ms: (ctx.obs.firstHeld(n.id, id) ?? Infinity) - (written ?? 0) })).filter(x => x.ms > withinMs)
      if (late.length > 0) problems.push(`${some(late.map(x => `${x.id} after ${formatMs(x.ms)}`))} got ${label} later than ${formatMs(withinMs)}`)
    }
  }
  if (problems.length > 0) return { ok: false, message: problems.join('; ') }
  return { ok: true, message: `${nodes.length} nodes ${want ? 'hold' : 'lack'} ${labels.join(', ')}` }
}

function forgedNowhere (ctx: DrillContext): Outcome {
  if (ctx.forged.size === 0) return { ok: true, message: 'no record was forged' }
  const holders: string[] = []
  for (const [node, held] of ctx.obs.held) {
    for (const id of ctx.forged) if (held.has(id) || ctx.cluster.maybe(node)?.ledger.has(id) === true) holders.push(`${node} holds ${id.slice(0, 12)}…`)
  }
  return holders.length > 0 ? { ok: false, message: some(holders, 4) } : { ok: true, message: `none of ${ctx.forged.size} forged records is held by any node` }
}

function perNode (nodes: AccordNode[], check: (node: AccordNode) => string | undefined): Outcome {
  const problems = nodes.map(n => [n.id, check(n)] as const).filter(([, p]) => p != null)
  if (problems.length === 0) return { ok: true, message: `holds on all ${nodes.length} nodes` }
  const first = problems[0] as readonly [string, string]
  return { ok: false, message: `on ${some(problems.map(([id]) => id))}: ${first[1]}${problems.length > 1 ? ` (${first[0]}'s view)` : ''}` }
}

/** One node's answer to a governance check: undefined when it holds, else what is wrong. */
function nodeCheck (node: AccordNode, c: Condition, check: CheckKind): string | undefined {
  const state = node.ledger.state
  if (check === 'redline' && c.redline != null) {
    const want = c.redline
    const r = redlines(state, Date.now()).find(x => x.declarationId === want.declaration)
    if (r == null) return `declaration ${want.declaration} is not in the view (not held, or void: a removed member wrote it past its last valid seq)`
    if (want.confirmed != null && r.confirmed !== want.confirmed) return `${want.declaration} is ${r.confirmed ? '' : 'not '}confirmed (${r.supporters.length}/${r.quorum} supporters)`
    if (want.supporters != null && r.supporters.length < want.supporters) return `${want.declaration} has ${r.supporters.length} supporters, expected at least ${want.supporters}`
    for (const [modelId, status] of Object.entries(want.mandates ?? {})) {
      const m = r.mandates.find(x => x.modelId === modelId)
      if (m?.status !== status) return `${modelId} is ${m?.status ?? 'not mandated'}, expected ${status}`
    }
    return undefined
  }
  if (check === 'membership' && c.membership != null) {
    const view = membership(state)
    const current = new Set(view.members.filter(m => m.until == null).map(m => m.id))
    const missing = (c.membership.includes ?? []).filter(id => !current.has(id))
    if (missing.length > 0) return `${missing.join(', ')} not a member (epoch ${view.epoch})`
    const extra = (c.membership.excludes ?? []).filter(id => current.has(id))
    if (extra.length > 0) return `${extra.join(', ')} still a member`
    if (c.membership.epoch != null && view.epoch !== c.membership.epoch) return `membership epoch ${view.epoch}, expected ${c.membership.epoch}`
    return undefined
  }
  if (check === 'incident' && c.incident != null) {
    const want = c.incident
    if (state.incident(want.id) == null) return `incident ${want.id} is not in the view (not held, or void: a removed member wrote it past its last valid seq)`
    const by = state.corroborationsOf(want.id).map(x => x.origin)
    if (want.corroborations != null && by.length < want.corroborations) return `${want.id} has ${by.length} corroborations, expected at least ${want.corroborations}`
    const missing = (want.corroboratedBy ?? []).filter(id => !by.includes(id))
    if (missing.length > 0) return `${want.id} lacks corroboration by ${missing.join(', ')}`
    return undefined
  }
  if (check === 'equivocation' && c.equivocation != null) {
    return state.forks.has(c.equivocation) ? undefined : `no proof that ${c.equivocation} equivocated`
  }
  return `cannot check ${check} on a node`
}
