import { Type } from '@sinclair/typebox'

/** Stable object ids: lower-case, readable, bounded. */
export const ObjectId = Type.String({ pattern: '^[a-z0-9][a-z0-9._:/-]{0,95}$' })
/** A moment as milliseconds since the Unix epoch. */
export const Millis = Type.Integer({ minimum: 0, maximum: 8.64e15 })
export const ShortText = Type.String({ minLength: 1, maxLength: 200 })
export const LongText = Type.String({ minLength: 1, maxLength: 16_000 })
export const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$' })

/** The stages a model is registered in. */
const REGISTERED_STAGES = ['training', 'deployed'] as const
export const ModelStage = Type.Union(REGISTERED_STAGES.map(s => Type.Literal(s)))
/** Every stage a model can be in: registered training or deployed, later decommissioned. */
export const MODEL_STAGES = [...REGISTERED_STAGES, 'decommissioned'] as const
export const SEVERITIES = ['low', 'moderate', 'serious', 'critical'] as const
export const Relation = Type.Union(['fine-tune', 'copy', 'quantisation', 'merge', 'distillation'].map(r => Type.Literal(r)))
export const Evaluation = Type.Object({
  name: ShortText,
  result: Type.String({ minLength: 1, maxLength: 2000 }),
  score: Type.Optional(Type.Number())
}, { additionalProperties: false })

export const Severity = Type.Union(SEVERITIES.map(s => Type.Literal(s)))
/** A closed list of harm categories (OECD AI incident and EU AI Act serious-incident categories). */
export const HARMS = ['cyber', 'cbrn', 'deception', 'autonomy', 'critical-infrastructure', 'health-safety', 'misinformation', 'rights', 'privacy', 'financial', 'other'] as const
export const Harm = Type.Union(HARMS.map(h => Type.Literal(h)))
export const IncidentStatus = Type.Union(['open', 'investigating', 'contained', 'resolved'].map(s => Type.Literal(s)))
/** Traffic Light Protocol 2.0 sharing markings (FIRST). */
export const Tlp = Type.Union(['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'].map(t => Type.Literal(t)))
