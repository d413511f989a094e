/**
 * Turns the derived governance view into events an operator sees as they happen: a red line
 * declared, confirmed, each model mandated, shut down or overdue; a member admitted or removed.
 * It compares the view before and after each relevant record, and on a timer for deadlines
 * passing with no record at all.
 */
import { membership, redlines, type HeldRecord, type State } from '../records/index.ts'

export type Transition =
  | { type: 'redline.declared', declarationId: string, modelId: string, redline: string, by: string }
  | { type: 'redline.confirmed', declarationId: string, modelId: string, supporters: string[], deadline: number }
  | { type: 'model.mandated', declarationId: string, modelId: string, jurisdiction: string | null, deadline: number }
  | { type: 'model.shut-down', declarationId: string, modelId: string, jurisdiction: string | null, shutdownAt: number }
  | { type: 'model.overdue', declarationId: string, modelId: string, jurisdiction: string | null, deadline: number }
  | { type: 'member.admitted' | 'member.removed', member: string, proposalId: string, approvals: string[] }

/** Deadlines are checked at least this often, so "overdue" shows within a minute. */
export const TRANSITION_CHECK_MS = 30_000

const GOVERNANCE = /^(redline\.|member\.|model\.register)/

export class TransitionWatcher {
  #seen = new Set<string>()
  #timer?: NodeJS.Timeout

  constructor (private readonly state: () => State, private readonly emit: (t: Transition) => void, private readonly now: () => number = Date.now) {
    // What is already true at start is not news.
    for (const t of this.#current()) this.#seen.add(JSON.stringify(this.#key(t)))
  }

  start (): void {
    this.#timer = setInterval(() => this.check(), TRANSITION_CHECK_MS)
    this.#timer.unref()
  }

  stop (): void { if (this.#timer != null) clearInterval(this.#timer) }

  onRecord (record: HeldRecord): void {
    if (GOVERNANCE.test(record.kind)) this.check()
  }

  check (): void {
    for (const t of this.#current()) {
      const key = JSON.stringify(this.#key(t))
      if (this.#seen.has(key)) continue
      this.#seen.add(key)
      this.emit(t)
    }
  }

  #key (t: Transition): unknown[] {
    return 'member' in t ? [t.type, t.member, t.proposalId] : [t.type, t.declarationId, t.modelId]
  }

  #current (): Transition[] {
    const state = this.state()
    const out: Transition[] = []
    for (const r of redlines(state, this.now())) {
      out.push({ type: 'redline.declared', declarationId: r.declarationId, modelId: r.modelId, redline: r.redline, by: r.declaredBy })
      if (!r.confirmed || r.deadline == null) continue
      out.push({ type: 'redline.confirmed', declarationId: r.declarationId, modelId: r.modelId, supporters: r.supporters, deadline: r.deadline })
      for (const m of r.mandates) {
        out.push({ type: 'model.mandated', declarationId: r.declarationId, modelId: m.modelId, jurisdiction: m.jurisdiction, deadline: r.deadline })
        if (m.status === 'shut-down') out.push({ type: 'model.shut-down', declarationId: r.declarationId, modelId: m.modelId, jurisdiction: m.jurisdiction, shutdownAt: m.shutdownAt ?? 0 })
        if (m.status === 'overdue') out.push({ type: 'model.overdue', declarationId: r.declarationId, modelId: m.modelId, jurisdiction: m.jurisdiction, deadline: r.deadline })
      }
    }
    for (const c of membership(state).changes) {
      out.push({ type: c.action === 'admit' ? 'member.admitted' : 'member.removed', member: c.member, proposalId: c.proposalId, approvals: c.approvals })
    }
    return out
  }
}
