/**
 * Expectations: what must hold, checked on the nodes at a step or at the end. Without `within`
 * a check is evaluated once, now. With `within` it is polled until it holds, up to that bound —
 * except `holds`, whose bound is measured from when each record was written (by its origin's
 * own first-held time), so "visible everywhere within 2 s" is judged by the nodes' observations,
 * not by when the runner happened to look.
 */
import type { ExpectationSpec } from './scenario-check.ts'
import { evaluate, idsOf, type DrillContext, type Outcome } from './conditions.ts'
import { sleep } from './poll.ts'

export interface ExpectationResult {
  where: string
  title: string
  check: string
  ok: boolean
  message: string
  /** ms the check waited before it held (or gave up). */
  waitedMs: number
}

/** Slack for the poll itself when a `holds` bound runs from the records' writing. */
const HOLDS_GRACE_MS = 1000

export async function checkExpectation (e: ExpectationSpec, ctx: DrillContext): Promise<ExpectationResult> {
  const start = Date.now()
  let deadline = start + (e.withinMs ?? 0)
  if (e.check === 'holds' && e.withinMs != null) {
    const written = [e.holds ?? []].flat().flatMap(l => idsOf(l, ctx)).map(id => ctx.obs.writtenAt(id) ?? start)
    deadline = Math.max(start, ...written.map(t => t + (e.withinMs as number) + HOLDS_GRACE_MS))
  }
  const interval = ctx.fed.ids.length > 60 ? 200 : 50
  let outcome: Outcome
  for (;;) {
    outcome = evaluate(e, e.check, ctx, e.withinMs)
    if (outcome.ok || Date.now() >= deadline) break
    await sleep(interval)
  }
  return { where: e.where, title: e.title, check: e.check, ok: outcome.ok, message: outcome.message, waitedMs: Date.now() - start }
}

/** The one line that names a failed expectation. */
export function failureLine (r: ExpectationResult): string {
  return `expectation "${r.title}" (${r.where}) failed: ${r.message}`
}
