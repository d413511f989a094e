/**
 * Record steps: the scenario's shorthands (register, report, corroborate, declare, confirm,
 * attest, propose, vote) and the generic `record`, turned into the records each member's node
 * signs and submits exactly as its operator would — plus `bulk`, a day's worth of traffic.
 */
import { membership } from '../records/index.ts'
import type { AccordNode } from '../node/accord-node.ts'
import type { DrillFederation } from './federation.ts'
import type { Step } from './scenario-check.ts'
import { recordLabel } from './scenario-check.ts'
import { selectNodes, type DrillContext } from './conditions.ts'
import { sleep } from './poll.ts'

export interface Submission { by: string, kind: string, body: Record<string, unknown> }

/** A member's node refused (or otherwise answered unexpectedly) what the scenario said it writes. */
export class RecordStepError extends Error {
  static override name = 'RecordStepError'
  constructor (message: string) { super(message); this.name = 'RecordStepError' }
}

const list = (v: string | string[]): string[] => Array.isArray(v) ? v : [v]

/** The records a record step writes, in order (a list of `by` writes one each). */
export function submissionsOf (step: Step, fed: DrillFederation, nodeOf: (id: string) => AccordNode, now = Date.now()): Submission[] {
  switch (step.kind) {
    case 'record': return [{ by: step.args.by, kind: step.args.kind, body: step.args.body }]
    case 'register': {
      const a = step.args
      return [{
        by: a.by,
        kind: 'model.register',
        body: {
          modelId: a.model,
          name: a.name ?? `Model ${a.model}`,
          developer: a.developer ?? `${fed.member(a.by)?.name ?? a.by} (drill lab)`,
          jurisdiction: a.by,
          stage: a.stage ?? 'deployed',
          trainingComputeFlop: a.compute ?? 3e25,
          parameters: 400_000_000_000,
          openWeights: false,
          ...(a.parent != null ? { parent: { modelId: a.parent.model, relation: a.parent.relation } } : {}),
          // Frontier models are registered with their evaluation results (the charter requires it).
          evaluations: [{ name: 'dangerous-capability-suite', result: 'no red line crossed at registration', score: 0.1 }]
        }
      }]
    }
    case 'report': {
      const a = step.args
      return [{
        by: a.by,
        kind: 'incident.report',
        body: {
          incidentId: a.incident,
          modelIds: a.models,
          severity: a.severity ?? 'serious',
          harms: a.harms ?? ['autonomy'],
          title: a.title ?? `Drill incident ${a.incident}`,
          description: `Drill: ${a.title ?? 'incident'} reported by ${a.by}.`,
          occurredAt: now - 3_600_000,
          detectedAt: now - 600_000,
          status: 'investigating',
          tlp: 'AMBER'
        }
      }]
    }
    case 'corroborate': return list(step.args.by).map(by => ({ by, kind: 'incident.corroborate', body: { incidentId: step.args.incident, note: step.args.note ?? `${by} sees the same behaviour.` } }))
    case 'declare': {
      const a = step.args
      return [{ by: a.by, kind: 'redline.declare', body: { declarationId: a.declaration, modelId: a.model, redline: a.redline, evidence: a.evidence ?? `Drill evidence gathered by ${a.by}.`, ...(a.incidents != null ? { incidentIds: a.incidents } : {}) } }]
    }
    case 'confirm': return list(step.args.by).map(by => ({ by, kind: 'redline.confirm', body: { declarationId: step.args.declaration, note: step.args.note ?? `${by} reproduced it.` } }))
    case 'attest': {
      const a = step.args
      return [{ by: a.by, kind: 'redline.shutdown', body: { modelId: a.model, ...(a.declaration != null ? { declarationId: a.declaration } : {}), shutdownAt: now, verification: a.verification ?? 'Drill: endpoints removed and weights destroyed under two-person rule.' } }]
    }
    case 'propose': {
      const a = step.args
      const node = nodeOf(a.by)
      const basis = membership(node.ledger.state).epoch
      const body = a.admit != null
        ? { proposalId: a.proposal, action: 'admit', member: a.admit, card: fed.card(a.admit), basis, reason: a.reason ?? `${a.admit} joins the federation.` }
        : { proposalId: a.proposal, action: 'remove', member: a.remove, lastValidSeq: node.ledger.tip(a.remove as string)?.seq ?? 0, basis, reason: a.reason ?? `${String(a.remove)} leaves the federation.` }
      return [{ by: a.by, kind: 'member.propose', body }]
    }
    case 'vote': return list(step.args.by).map(by => ({ by, kind: 'member.vote', body: { proposalId: step.args.proposal, approve: step.args.approve ?? true } }))
    default: return []
  }
}

/** Writes a record step's records; each must get the verdict the step expects (default accept). */
export async function runRecordStep (step: Step, ctx: DrillContext): Promise<string> {
  const want = (step.args as { verdict?: string }).verdict ?? 'accept'
  const label = recordLabel(step)
  const done: string[] = []
  for (const s of submissionsOf(step, ctx.fed, id => ctx.cluster.node(id))) {
    const admission = await ctx.cluster.node(s.by).submit(s.kind, s.body)
    if (admission.verdict !== want) throw new RecordStepError(`${s.by}'s node answered ${admission.verdict}${admission.message === 'accepted' ? '' : ` (${admission.code}: ${admission.message})`} to its ${s.kind}, expected ${want}`)
    if (admission.id != null && admission.verdict === 'accept' && label != null) ctx.obs.label(label, admission.id)
    done.push(`${s.by} ${s.kind}`)
  }
  return `${done.join(', ')}${want !== 'accept' ? ` (${want}, as expected)` : ''}`
}

/**
 * `bulk`: `count` records from the chosen members, round-robin, each writer in sequence and all
 * writers at once (or paced to `rate` per second): registrations, stage updates, incident reports
 * and corroborations, as a busy day of the federation would bring.
 */
export async function runBulk (step: Extract<Step, { kind: 'bulk' }>, ctx: DrillContext, status: (text: string) => void): Promise<string> {
  const writers = selectNodes(step.args.by, ctx).filter(id => ctx.cluster.isLive(id))
  if (writers.length === 0) throw new RecordStepError('no live writer')
  const { count, rate } = step.args
  const start = Date.now()
  let written = 0
  let refused = 0
  const one = async (by: string, n: number, i: number): Promise<void> => {
    if (rate != null) await sleep(start + (i / rate) * 1000 - Date.now())
    const lc = by.toLowerCase()
    const k = Math.floor(n / 4)
    const next = (writers[(writers.indexOf(by) + 1) % writers.length] as string).toLowerCase()
    // A member corroborates others' incidents, never its own (held yet or not: both are valid).
    const other = next === lc ? 'elsewhere' : next
    const [kind, body] = [
      ['model.register', { modelId: `${lc}-bulk-${step.index}-${k}`, name: `Bulk model ${k}`, developer: 'Drill lab', jurisdiction: by, stage: 'training', trainingComputeFlop: 1e24, parameters: 1_000_000_000, openWeights: false }],
      ['model.update', { modelId: `${lc}-bulk-${step.index}-${k}`, stage: 'deployed' }],
      ['incident.report', { incidentId: `${lc}-bulk-inc-${step.index}-${k}`, modelIds: [`${lc}-bulk-${step.index}-${k}`], severity: 'low', harms: ['other'], title: `Bulk incident ${k}`, description: 'Routine drill traffic.', occurredAt: start - 3_600_000, detectedAt: start - 600_000, status: 'open', tlp: 'GREEN' }],
      ['incident.corroborate', { incidentId: `${other}-bulk-inc-${step.index}-${k}` }]
    ][n % 4] as [string, object]
    const admission = await ctx.cluster.node(by).submit(kind, body)
    if (admission.verdict === 'accept') written++
    else refused++
    if ((written + refused) % 500 === 0) status(`bulk: ${written + refused}/${count} records written`)
  }
  await Promise.all(writers.map(async (by, w) => {
    for (let i = w, n = 0; i < count; i += writers.length, n++) {
      if (!ctx.cluster.isLive(by)) return
      await one(by, n, i)
    }
  }))
  const seconds = (Date.now() - start) / 1000
  if (refused > 0) throw new RecordStepError(`${refused} of ${count} bulk records were refused by their writers' nodes`)
  return `${written} records from ${writers.length} members in ${seconds.toFixed(1)} s (${Math.round(written / Math.max(0.001, seconds))}/s)`
}
