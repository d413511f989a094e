/**
 * What the federation's governance records add up to, derived from the state on demand:
 * the current membership (charter + changes voted in), each red-line declaration's status with
 * its shutdown mandates, and the deadline flags on incidents and models. Everything here is a
 * pure function of the state (and, for deadlines, of a given `now`), so every node that holds
 * the same records sees the same thing.
 */
import type { Member } from './roster.ts'
import type { ProposalEntry, State, Statement } from './state.ts'

export interface MembershipChange { epoch: number, proposalId: string, action: 'admit' | 'remove', member: string, approvals: string[], needed: number, effectiveAt: number }
export interface ProposalStatus { proposalId: string, proposal: ProposalEntry, status: 'applied' | 'pending' | 'stale', approvals: string[], rejections: string[], needed: number, /** Why a proposal is stale, or waits for earlier changes. */ why?: string }
export interface Membership { epoch: number, members: Member[], changes: MembershipChange[], proposals: ProposalStatus[] }

/** Votes needed among `n` members for a membership change. */
export function membershipQuorum (fraction: number, n: number): number {
  return Math.max(1, Math.ceil(fraction * n - 1e-9))
}

/**
 * Applies membership proposals in a canonical order: a proposal with basis e can only be the
 * (e+1)-th change, at the quorum of the members of epoch e (its proposer's proposal counts as an
 * approval; votes of non-members of that epoch do not count). Among proposals ready at the same
 * epoch the smallest proposal id wins, and the others become stale.
 */
export function membership (state: State): Membership {
  const members = new Map<string, Member>(state.genesis.map(m => [m.id, { ...m }]))
  const changes: MembershipChange[] = []
  const proposals = [...state.proposals.keys()].sort().map(id => state.proposal(id) as ProposalEntry)
  const applied = new Set<string>()
  const tally = (p: ProposalEntry): { approvals: string[], rejections: string[] } => {
    const current = (id: string): boolean => { const m = members.get(id); return m != null && m.until == null }
    const votes = [...(state.votes.get(p.proposalId)?.values() ?? [])]
    const approvals = [...new Set([p.origin, ...votes.filter(v => v.approve).map(v => v.origin)])].filter(current).sort()
    const rejections = votes.filter(v => !v.approve && current(v.origin)).map(v => v.origin).sort()
    return { approvals, rejections }
  }
  const sensible = (p: ProposalEntry): boolean => {
    const existing = members.get(p.member)
    return p.action === 'admit' ? existing == null || existing.until != null : existing != null && existing.until == null
  }
  for (let progress = true; progress;) {
    progress = false
    const epoch = changes.length
    const n = [...members.values()].filter(m => m.until == null).length
    const needed = membershipQuorum(state.settings.membershipQuorum, n)
    for (const p of proposals) {
      if (applied.has(p.proposalId) || p.basis !== epoch || !sensible(p)) continue
      const { approvals } = tally(p)
      if (approvals.length < needed) continue
      const votes = [p as Statement, ...(state.votes.get(p.proposalId)?.values() ?? [])].filter(v => approvals.includes(v.origin)).sort((a, b) => a.time - b.time)
      const effectiveAt = votes[needed - 1]?.time ?? p.time
      if (p.action === 'admit' && p.card != null) members.set(p.member, { id: p.card.id, name: p.card.name, publicKey: p.card.publicKey })
      else {
        const m = members.get(p.member)
        if (m != null) members.set(p.member, { ...m, until: p.lastValidSeq ?? 0 })
      }
      applied.add(p.proposalId)
      changes.push({ epoch: epoch + 1, proposalId: p.proposalId, action: p.action, member: p.member, approvals, needed, effectiveAt })
      progress = true
      break
    }
  }
  const epoch = changes.length
  const n = [...members.values()].filter(m => m.until == null).length
  const statuses: ProposalStatus[] = proposals.map(p => {
    const change = changes.find(c => c.proposalId === p.proposalId)
    const { approvals, rejections } = tally(p)
    const why = change != null
      ? undefined
      : p.basis < epoch ? `made at epoch ${p.basis}; the membership has changed since (epoch ${epoch})`
        : !sensible(p) ? (p.action === 'admit' ? `${p.member} is already a member` : `${p.member} is not a member now`)
          : p.basis > epoch ? `made at epoch ${p.basis}; this node is at epoch ${epoch}, so it waits for the changes before it` : undefined
    return {
      ...(why != null ? { why } : {}),
      proposalId: p.proposalId,
      proposal: p,
      status: change != null ? 'applied' : (p.basis < epoch || !sensible(p)) ? 'stale' : 'pending',
      approvals: change?.approvals ?? approvals,
      rejections,
      needed: change?.needed ?? membershipQuorum(state.settings.membershipQuorum, n)
    }
  })
  return { epoch, members: [...members.values()].sort((a, b) => a.id.localeCompare(b.id)), changes, proposals: statuses }
}

export interface MandateStatus {
  modelId: string
  jurisdiction: string | null
  status: 'shut-down' | 'mandated' | 'overdue' | 'unregistered'
  shutdownAt?: number
  verification?: string
  attestedBy?: string
}

export interface RedlineStatus {
  declarationId: string
  modelId: string
  redline: string
  title: string
  declaredBy: string
  declaredAt: number
  evidence: string
  incidentIds: string[]
  supporters: string[]
  quorum: number
  confirmed: boolean
  confirmedAt?: number
  deadline?: number
  mandates: MandateStatus[]
}

/**
 * Each declaration: who backs it, whether it reached the quorum (and when, by the quorum-th
 * supporter's clock), and for a confirmed one the mandate on the model and every registered
 * copy and derivative — derivatives registered later included, as they are found at each call.
 */
export function redlines (state: State, now: number): RedlineStatus[] {
  const quorum = state.settings.redlineQuorum
  const out: RedlineStatus[] = []
  for (const id of [...state.declarations.keys()].sort()) {
    const d = state.declaration(id)
    if (d == null) continue
    const supporters: Statement[] = [d, ...[...(state.confirmations.get(id)?.values() ?? [])].filter(c => c.origin !== d.origin)].sort((a, b) => a.time - b.time || a.origin.localeCompare(b.origin))
    const confirmed = supporters.length >= quorum
    const confirmedAt = confirmed ? (supporters[quorum - 1] as Statement).time : undefined
    const deadline = confirmedAt != null ? confirmedAt + state.settings.shutdownDeadlineHours * 3_600_000 : undefined
    const mandates: MandateStatus[] = !confirmed
      ? []
      : [d.modelId, ...state.descendants(d.modelId)].map(modelId => {
          const model = state.model(modelId)
          if (model == null) return { modelId, jurisdiction: null, status: 'unregistered' as const }
          const attest = state.shutdowns.get(modelId)?.get(model.origin)
          if (attest != null) return { modelId, jurisdiction: model.jurisdiction, status: 'shut-down' as const, shutdownAt: attest.shutdownAt, verification: attest.verification, attestedBy: attest.origin }
          return { modelId, jurisdiction: model.jurisdiction, status: deadline != null && now > deadline ? 'overdue' as const : 'mandated' as const }
        })
    out.push({
      declarationId: id,
      modelId: d.modelId,
      redline: d.redline,
      title: state.settings.redlines.find(r => r.id === d.redline)?.title ?? d.redline,
      declaredBy: d.origin,
      declaredAt: d.time,
      evidence: d.evidence,
      incidentIds: d.incidentIds,
      supporters: supporters.map(s => s.origin),
      quorum,
      confirmed,
      ...(confirmedAt != null ? { confirmedAt, deadline } : {}),
      mandates
    })
  }
  return out
}

export interface IncidentFlags { late: boolean, unregisteredModels: string[], withdrawn: boolean }

/** Late: reported after the window for its severity, counted from when it occurred. */
export function incidentFlags (state: State, incidentId: string): IncidentFlags | undefined {
  const i = state.incident(incidentId)
  if (i == null) return undefined
  const windowDays = state.settings.reportingWindowDays[i.severity as 'critical' | 'serious' | 'moderate' | 'low'] ?? Infinity
  return {
    late: i.reportedAt - i.occurredAt > windowDays * 86_400_000,
    unregisteredModels: i.modelIds.filter(m => state.model(m) == null),
    withdrawn: i.withdrawn != null
  }
}

export interface ModelFlags { frontier: boolean, paused: boolean, terminated: boolean, withdrawn: boolean, mandatedBy: string[] }

export function modelFlags (state: State, modelId: string, mandates: RedlineStatus[]): ModelFlags | undefined {
  const m = state.model(modelId)
  if (m == null) return undefined
  return {
    frontier: m.trainingComputeFlop >= state.settings.computeThresholdFlop,
    paused: m.paused,
    terminated: m.terminated != null,
    withdrawn: m.withdrawn != null,
    mandatedBy: mandates.filter(r => r.mandates.some(x => x.modelId === modelId)).map(r => r.declarationId)
  }
}
