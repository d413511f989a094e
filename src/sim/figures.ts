/**
 * The drill's figures, all from the nodes' own observations (when each node first held each
 * record): delivery latency per record kind, how long each labelled record took to reach every
 * node, convergence after heals, and each red line's way from declaration to confirmation to
 * every shutdown (or overdue mandate).
 */
import { redlines, type State } from '../records/index.ts'
import type { Observations } from './observations.ts'
import type { ConvergenceMeasure } from './convergence.ts'
import { quantile } from './svg-charts.ts'
import type { Alarm } from '../node/alarms.ts'

export interface KindDelivery { kind: string, deliveries: number, p50: number, p90: number, p99: number, max: number, values: number[] }

export interface RecordReach {
  label: string
  id: string
  kind: string
  origin: string
  /** ms after the timeline started. */
  writtenAt: number
  /** Nodes (other than its origin) that hold it, of how many. */
  reached: number
  of: number
  p50: number
  p95: number
  /** ms until the last node held it; null when some node never did. */
  allMs: number | null
  /** [ms after writing, share of nodes holding it]. */
  curve: Array<[number, number]>
}

export interface Milestone { label: string, kind: 'declared' | 'confirmed' | 'shut-down' | 'overdue', first: number, median: number, last: number, nodes: number, of: number }

export interface RedlineFigures {
  declarationId: string
  modelId: string
  redline: string
  declaredBy: string
  quorum: number
  /** ms after the timeline started. */
  writtenAt: number
  /** ms after the declaration was written. */
  deadline: number | null
  milestones: Milestone[]
}

/** Alarms the nodes raised (equivocation, reject floods, failed store writes): on how many nodes, about whom. */
export interface AlarmFigures { type: string, nodes: number, about: string[] }

export interface Figures {
  nodes: number
  records: number
  delivery: KindDelivery[]
  reach: RecordReach[]
  convergence: ConvergenceMeasure[]
  redlines: RedlineFigures[]
  alarms: AlarmFigures[]
  /** Governance transitions the nodes raised, by type, summed over nodes. */
  transitions: Record<string, number>
}

export interface FigureInputs {
  obs: Observations
  forged: Set<string>
  /** Nodes running at the end: "everyone" for reach. */
  live: string[]
  measures: ConvergenceMeasure[]
  timelineStart: number
  /** The state of one node at the end (all live nodes agree when converged). */
  state?: State
}

const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b)

export function computeFigures (input: FigureInputs): Figures {
  const { obs, forged, live } = input
  const byKind = new Map<string, number[]>()
  for (const meta of obs.records.values()) {
    if (forged.has(meta.id)) continue
    const written = obs.writtenAt(meta.id)
    if (written == null) continue
    const values = byKind.get(meta.kind) ?? []
    for (const [node, held] of obs.held) {
      const t = held.get(meta.id)
      if (node !== meta.origin && t != null) values.push(Math.max(0, t - written))
    }
    byKind.set(meta.kind, values)
  }
  const delivery = [...byKind].filter(([, v]) => v.length > 0).sort(([a], [b]) => a.localeCompare(b)).map(([kind, v]) => {
    const s = sorted(v)
    return { kind, deliveries: s.length, p50: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), max: s[s.length - 1] as number, values: s }
  })

  const reach: RecordReach[] = []
  for (const [label, ids] of obs.labels) {
    const id = ids[0]
    const meta = id != null ? obs.records.get(id) : undefined
    const written = id != null ? obs.writtenAt(id) : undefined
    if (id == null || meta == null || written == null || forged.has(id)) continue
    const others = live.filter(n => n !== meta.origin)
    const times = sorted(others.map(n => obs.firstHeld(n, id)).filter((t): t is number => t != null).map(t => Math.max(0, t - written)))
    reach.push({
      label, id, kind: meta.kind, origin: meta.origin, writtenAt: written - input.timelineStart,
      reached: times.length, of: others.length, p50: quantile(times, 0.5), p95: quantile(times, 0.95),
      allMs: times.length === others.length ? (times[times.length - 1] ?? 0) : null,
      curve: times.map((t, i) => [t, (i + 1) / Math.max(1, others.length)])
    })
  }

  return {
    nodes: obs.held.size,
    records: [...obs.records.keys()].filter(id => !forged.has(id)).length,
    delivery,
    reach,
    convergence: input.measures,
    redlines: input.state != null ? redlineFigures(input.state, obs, live, input.timelineStart) : [],
    alarms: alarmFigures(obs),
    transitions: obs.transitions.reduce<Record<string, number>>((out, t) => ({ ...out, [t.transition.type]: (out[t.transition.type] ?? 0) + 1 }), {})
  }
}

/** What an alarm is about: the equivocating member, the flooding peer, the disk's error, the member whose key two nodes use. */
function alarmSubject (alarm: Alarm): string {
  switch (alarm.type) {
    case 'equivocation': return alarm.origin
    case 'reject-flood': return alarm.member ?? alarm.peer
    case 'store-write-failed': return alarm.error
    case 'twin-key': return alarm.member
  }
}

function alarmFigures (obs: Observations): AlarmFigures[] {
  const byType = new Map<string, { nodes: Set<string>, about: Set<string> }>()
  for (const { node, alarm } of obs.alarms) {
    const entry = byType.get(alarm.type) ?? { nodes: new Set<string>(), about: new Set<string>() }
    entry.nodes.add(node)
    entry.about.add(alarmSubject(alarm))
    byType.set(alarm.type, entry)
  }
  return [...byType].map(([type, e]) => ({ type, nodes: e.nodes.size, about: [...e.about].sort() }))
}

function milestone (label: string, kind: Milestone['kind'], times: Array<number | undefined>, base: number, of: number): Milestone {
  const s = sorted(times.filter((t): t is number => t != null && Number.isFinite(t)).map(t => t - base))
  return { label, kind, first: s[0] ?? NaN, median: quantile(s, 0.5), last: s[s.length - 1] ?? NaN, nodes: s.length, of }
}

function redlineFigures (state: State, obs: Observations, live: string[], timelineStart: number): RedlineFigures[] {
  const out: RedlineFigures[] = []
  for (const r of redlines(state, Date.now())) {
    const decl = state.declaration(r.declarationId)
    if (decl == null) continue
    const base = obs.writtenAt(decl.recordId)
    if (base == null) continue
    const confirmations = [...(state.confirmations.get(r.declarationId)?.values() ?? [])].filter(c => c.origin !== decl.origin)
    const at = (node: string, id: string): number | undefined => obs.firstHeld(node, id)
    const milestones: Milestone[] = [milestone(`declared by ${decl.origin}`, 'declared', live.map(n => at(n, decl.recordId)), base, live.length)]
    let confirmedAt: Array<number | undefined> = []
    if (r.confirmed) {
      // A node sees the crossing confirmed once it holds the declaration and quorum − 1 confirmations.
      confirmedAt = live.map(n => {
        const d = at(n, decl.recordId)
        const c = sorted(confirmations.map(x => at(n, x.recordId) ?? Infinity))
        const needed = r.quorum - 1
        const t = needed <= 0 ? d : c[needed - 1]
        return d == null || t == null || !Number.isFinite(t) ? undefined : Math.max(d, t)
      })
      milestones.push(milestone(`confirmed (${r.quorum} of ${r.supporters.length} supporters)`, 'confirmed', confirmedAt, base, live.length))
    }
    for (const m of r.mandates) {
      const where = `${m.modelId} (${m.jurisdiction ?? '?'})`
      if (m.status === 'shut-down' && m.attestedBy != null) {
        const record = state.shutdowns.get(m.modelId)?.get(m.attestedBy)
        if (record != null) milestones.push(milestone(`shut down: ${where}`, 'shut-down', live.map(n => at(n, record.recordId)), base, live.length))
      } else if (m.status === 'overdue' && r.deadline != null) {
        // A node sees the model overdue at the deadline, or when it first sees the crossing
        // confirmed if that came later (it could not know before).
        const deadline = r.deadline
        milestones.push(milestone(`OVERDUE: ${where}`, 'overdue', confirmedAt.map(t => t == null ? undefined : Math.max(t, deadline)), base, live.length))
      }
    }
    out.push({
      declarationId: r.declarationId, modelId: r.modelId, redline: r.redline, declaredBy: r.declaredBy, quorum: r.quorum,
      writtenAt: base - timelineStart,
      // Deadlines run on the signers' clocks (record times); here all share this process's clock.
      deadline: r.deadline != null ? r.deadline - base : null,
      milestones
    })
  }
  return out
}
