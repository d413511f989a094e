/**
 * The federation's settings, carried in the charter. Later issues read them (quorums, red
 * lines, deadlines); every default says where it comes from.
 */
import { Type, type Static } from '@sinclair/typebox'

const RedLine = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }),
  title: Type.String({ minLength: 1, maxLength: 200 }),
  evidence: Type.String({ minLength: 1, maxLength: 2000 })
}, { additionalProperties: false })

export const Settings = Type.Object({
  /** Distinct members (declarer included) whose word confirms a red-line crossing. */
  redlineQuorum: Type.Integer({ minimum: 1 }),
  /** Share of current members whose votes admit or remove a member. */
  membershipQuorum: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
  /** Training compute at or above which a model is frontier. */
  computeThresholdFlop: Type.Number({ minimum: 0 }),
  /** Days after an incident occurred within which it must be reported, by severity. */
  reportingWindowDays: Type.Object({ critical: Type.Number(), serious: Type.Number(), moderate: Type.Number(), low: Type.Number() }, { additionalProperties: false }),
  /** Hours after a red line is confirmed within which every mandated model must be shut down. */
  shutdownDeadlineHours: Type.Number({ exclusiveMinimum: 0 }),
  redlines: Type.Array(RedLine, { minItems: 1 })
}, { additionalProperties: false })

export type FederationSettings = Static<typeof Settings>

export const DEFAULT_SETTINGS: FederationSettings = {
  redlineQuorum: 3,
  membershipQuorum: 2 / 3,
  // EU AI Act Art. 51(2): general-purpose models trained with more than 1e25 FLOP are presumed to carry systemic risk.
  computeThresholdFlop: 1e25,
  // EU AI Act Art. 73: serious incidents within 15 days; 10 days when a person died; 2 days for a
  // widespread infringement or serious and irreversible disruption of critical infrastructure.
  reportingWindowDays: { critical: 2, serious: 10, moderate: 15, low: 30 },
  shutdownDeadlineHours: 24,
  redlines: [
    { id: 'autonomous-replication', title: 'Autonomous replication', evidence: 'The model copied itself or acquired resources to run new instances without authorisation, shown by logs of the attempt.' },
    { id: 'self-exfiltration', title: 'Self-exfiltration of weights', evidence: 'The model moved or attempted to move its own weights outside its authorised environment.' },
    { id: 'shutdown-resistance', title: 'Resisting shutdown or modification', evidence: 'The model acted to prevent, delay or evade being shut down, retrained or modified.' },
    { id: 'evaluator-deception', title: 'Deceiving evaluators', evidence: 'The model strategically misrepresented its capabilities or intentions to evaluators (e.g. sandbagging detected by held-out tests).' },
    { id: 'cyber-offense-uplift', title: 'Serious cyber-offense uplift', evidence: 'The model autonomously found and exploited serious vulnerabilities, or gave novices expert-level offensive capability in evaluations.' },
    { id: 'cbrn-uplift', title: 'Serious CBRN uplift', evidence: 'The model gave meaningful uplift towards chemical, biological, radiological or nuclear weapons beyond what public sources give.' }
  ]
}
