/**
 * Misbehaviour: `forge` (records signed by a key the roster does not bind to their origin — an
 * outsider's, or a member's claiming another origin) pushed into the gossip mesh through a
 * member's node and offered to its ledger; `equivocate` (a member signs a second, different
 * record at a seq it already used, and that second story is injected at another node).
 */
import { authorRecord, type ChainTip } from '../records/index.ts'
import { RECORDS_TOPIC } from '../net/index.ts'
import type { Step } from './scenario-check.ts'
import { pollUntil } from './poll.ts'
import type { RunState } from './steps.ts'

export class AdversaryStepError extends Error {
  static override name = 'AdversaryStepError'
  constructor (message: string) { super(message); this.name = 'AdversaryStepError' }
}

export async function runForge (step: Extract<Step, { kind: 'forge' }>, run: RunState): Promise<string> {
  const { via, signer, count = 3 } = step.args
  const origin = step.args.origin ?? 'XX'
  const node = run.cluster.node(via)
  const key = signer != null ? run.fed.key(signer) : run.fed.outsiderKey(origin)
  // Claiming a member's origin: continue its chain as held here, so only the signature is wrong.
  let tip: ChainTip | undefined = run.fed.member(origin) != null ? node.ledger.tip(origin) : undefined
  const codes = new Map<string, number>()
  let pushedTo = 0
  for (let i = 0; i < count; i++) {
    const id = `forged-${step.index}-${i}`
    const forged = authorRecord(key, origin, tip, 'incident.report', {
      incidentId: id, modelIds: ['forged-model'], severity: 'critical', harms: ['cbrn'], title: 'Fabricated alarm', description: 'A record no member wrote.', occurredAt: Date.now() - 60_000, detectedAt: Date.now(), status: 'open', tlp: 'RED'
    })
    tip = { seq: forged.record.seq, head: forged.record.id }
    run.forged.add(forged.record.id)
    if (step.args.as != null) run.obs.label(step.args.as, forged.record.id)
    const admission = node.ledger.admit(forged.bytes)
    codes.set(admission.code, (codes.get(admission.code) ?? 0) + 1)
    if (admission.verdict === 'accept') throw new AdversaryStepError(`${via}'s ledger accepted a forged record (${origin} signed by ${signer ?? 'an outsider'})`)
    const published = await node.network.libp2p.services.pubsub.publish(RECORDS_TOPIC, forged.bytes).catch(() => ({ recipients: [] }))
    pushedTo = Math.max(pushedTo, published.recipients.length)
  }
  const refused = [...codes].map(([code, n]) => `${code} ×${n}`).join(', ')
  return `${count} records claiming ${origin}, signed by ${signer ?? 'an outsider'}: ${via}'s ledger refused them (${refused}); pushed to ${pushedTo} gossip peers`
}

export async function runEquivocate (step: Extract<Step, { kind: 'equivocate' }>, run: RunState): Promise<string> {
  const { by, via } = step.args
  const author = run.cluster.node(by)
  const target = run.cluster.node(via)
  const tip = author.ledger.tip(by)
  const incidentId = `${by.toLowerCase()}-two-stories-${step.index}`
  const story = (severity: string, title: string): Record<string, unknown> => ({
    incidentId, modelIds: ['undisclosed-model'], severity, harms: ['deception'], title, description: `${by}'s account of the event.`, occurredAt: Date.now() - 60_000, detectedAt: Date.now(), status: 'open', tlp: 'AMBER'
  })
  const first = await author.submit('incident.report', story('low', 'Minor evaluation anomaly'))
  if (first.verdict !== 'accept' || first.id == null) throw new AdversaryStepError(`${by}'s own node refused its first story: ${first.code} ${first.message}`)
  await pollUntil(() => target.ledger.has(first.id as string), step.timeoutMs, `${via} to hold ${by}'s first story`)
  const second = authorRecord(run.fed.key(by), by, tip, 'incident.report', story('critical', 'Model evaded shutdown'))
  const admission = target.ledger.admit(second.bytes)
  if (admission.verdict !== 'equivocation') throw new AdversaryStepError(`${via} answered ${admission.verdict} (${admission.code}) to ${by}'s second story at seq ${second.record.seq}`)
  if (step.args.as != null) { run.obs.label(step.args.as, first.id); run.obs.label(step.args.as, second.record.id) }
  return `${by} signed two records at seq ${second.record.seq}; the second injected at ${via}, which holds the proof`
}
