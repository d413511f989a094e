/**
 * One timeline step, dispatched by its action: records (record-steps.ts), faults
 * (fault-steps.ts), misbehaviour (adversary-steps.ts) and waits (here). A step either returns
 * a one-line account of what happened or throws, and the runner records which.
 */
import type { Scenario, Step } from './scenario-check.ts'
import { evaluate, type DrillContext } from './conditions.ts'
import type { ConvergenceMeasure } from './convergence.ts'
import { runBulk, runRecordStep } from './record-steps.ts'
import { runFaultStep } from './fault-steps.ts'
import { runEquivocate, runForge } from './adversary-steps.ts'
import { formatMs, parseDuration } from './duration.ts'
import { CHECKS, type CheckKind, type Condition } from './scenario-schema.ts'
import { DrillTimeoutError, pollUntil, sleep } from './poll.ts'

/** Everything a step may touch while the drill runs. */
export interface RunState extends DrillContext {
  scenario: Scenario
  /** Date.now() when the timeline started. */
  timelineStart: number
  measures: ConvergenceMeasure[]
  /** Steps that finish later (offline … for): awaited before the final expectations. */
  background: Array<Promise<void>>
  backgroundFailures: string[]
  status: (text: string) => void
}

export const checkOf = (c: Condition): CheckKind => CHECKS.find(k => (c as Record<string, unknown>)[k] !== undefined) as CheckKind

/** Waits until a condition holds on the nodes; returns how long it took. */
export async function waitForCondition (c: Condition, run: RunState, timeoutMs: number, what: string): Promise<number> {
  const check = checkOf(c)
  let last = ''
  const interval = run.fed.ids.length > 60 ? 200 : 50
  try {
    return await pollUntil(() => { const o = evaluate(c, check, run); last = o.message; return o.ok }, timeoutMs, what, interval)
  } catch (err) {
    if (err instanceof DrillTimeoutError) throw new DrillTimeoutError(`${err.message} (last: ${last})`)
    throw err
  }
}

export async function runStep (step: Step, run: RunState): Promise<string> {
  switch (step.kind) {
    case 'record': case 'register': case 'report': case 'corroborate': case 'declare':
    case 'confirm': case 'attest': case 'propose': case 'vote':
      return await runRecordStep(step, run)
    case 'bulk': return await runBulk(step, run, run.status)
    case 'partition': case 'heal': case 'kill': case 'restart': case 'offline': case 'online': case 'start':
      return await runFaultStep(step, run)
    case 'forge': return await runForge(step, run)
    case 'equivocate': return await runEquivocate(step, run)
    case 'wait': {
      if (step.args.until == null) {
        const ms = parseDuration(step.args.for ?? 0)
        await sleep(ms)
        return `waited ${formatMs(ms)}`
      }
      const check = checkOf(step.args.until)
      const took = await waitForCondition(step.args.until, run, step.timeoutMs, check)
      return `${check} after ${formatMs(took)}`
    }
  }
}
