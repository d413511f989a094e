/**
 * Turns the derived governance view into events an operator sees as they happen: a red line
 * declared, confirmed, each model mandated, shut down or overdue; a member admitted or removed.
 * It compares the view before and after each relevant record, and on a timer for deadlines
 * passing with no record at all.
 *
 * What was announced can stop being true: a member's removal voids its confirmation of a red
 * line (below quorum again, nothing mandated), or a removal loses its membership epoch to a
 * competing change. Such a transition is announced again as `retracted`, and announced anew if it
 * becomes true again. An overdue mandate that is then shut down is not retracted: it was overdue.
 */
import { membership, redlines, type HeldRecord, type State } from '../records/index.ts'

export type Transition =
  | { type: 'redline.declared', declarationId: string, modelId: string, redline: string, by: string }
  | { type: 'redline.confirmed', declarationId: string, modelId: string, supporters: string[], deadline: number }
  | { type: 'model.mandated', declarationId: string, modelId: string, jurisdiction: string | null, deadline: number }
  | { type: 'model.shut-down', declarationId: string, modelId: string, jurisdiction: string | null, shutdownAt: number }
  | { type: 'model.overdue', declarationId: string, modelId: string, jurisdiction: string | null, deadline: number }
  | { type: 'member.admitted' | 'member.removed', member: string, proposalId: string, approvals: string[] }
  | Retraction

/** A transition announced before that is no longer true in the view. */
export interface Retraction { type: 'retracted', transition: Exclude<Transition, Retraction> }
type Fact = Exclude<Transition, Retraction>

/** Deadlines are checked at least this often, so "overdue" shows within a minute. */
export const TRANSITION_CHECK_MS = 30_000

const GOVERNANCE = /^(redline\.|member\.|model\.register)/

export class TransitionWatcher {
  readonly #seen = new Map<string, Fact>()
  #timer?: NodeJS.Timeout

  constructor (private readonly state: () => State, private readonly emit: (t: Transition) => void, private readonly now: () => number = Date.now) {
    // What is already true at start is not news.
    for (const t of this.#current()) this.#seen.set(JSON.stringify(this.#key(t)), t)
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
    const now = new Set<string>()
    for (const t of this.#current()) {
      const key = JSON.stringify(this.#key(t))
      now.add(key)
      if (this.#seen.has(key)) continue
      this.#seen.set(key, t)
      this.emit(t)
    }
    for (const [key, t] of this.#seen) {
      if (now.has(key)) continue
      this.#seen.delete(key)
      if (t.type !== 'model.overdue') this.emit({ type: 'retracted', transition: t })
    }
  }

  #key (t: Fact): unknown[] {
    return 'member' in t ? [t.type, t.member, t.proposalId] : [t.type, t.declarationId, t.modelId]
  }

  #current (): Fact[] {
    const state = this.state()
    const out: Fact[] = []
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
