import { Type } from '@sinclair/typebox'
import { defineKind } from './kind.ts'
import { LongText, Millis, ObjectId } from './common.ts'
import { reject, RejectCode } from '../errors.ts'

/** A member says a model crossed one of the catalogue's red lines, with its evidence. */
export const redlineDeclare = defineKind({
  name: 'redline.declare',
  description: 'Declares that a model crossed a red line of the federation\'s catalogue, with evidence.',
  schema: Type.Object({
    declarationId: ObjectId,
    modelId: ObjectId,
    redline: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }),
    evidence: LongText,
    incidentIds: Type.Optional(Type.Array(ObjectId, { maxItems: 32, uniqueItems: true }))
  }, { additionalProperties: false }),
  example: { declarationId: 'gb-rl-2026-01', modelId: 'gb-frontier-1', redline: 'self-exfiltration', evidence: 'Agentic evaluation logs show the model uploading its weights to an external bucket.', incidentIds: ['gb-2026-0001'] },
  authorize (body, origin, state) {
    if (!state.settings.redlines.some(r => r.id === body.redline)) {
      throw reject(RejectCode.UNKNOWN_REDLINE, `"${body.redline}" is not in the charter's red-line catalogue (${state.settings.redlines.map(r => r.id).join(', ')})`, 'body.redline')
    }
    if (state.owns(origin, 'declaration', body.declarationId)) throw reject(RejectCode.CONFLICT, `declaration ${body.declarationId} already made by ${origin}`, 'body.declarationId')
  },
  apply (state, body, record) {
    let claims = state.declarations.get(body.declarationId)
    if (claims == null) state.declarations.set(body.declarationId, claims = new Map())
    claims.set(record.origin, { declarationId: body.declarationId, modelId: body.modelId, redline: body.redline, evidence: body.evidence, incidentIds: body.incidentIds ?? [], origin: record.origin, recordId: record.id, time: record.time })
  }
})

/** Another member backs a declaration; distinct members count once each towards the quorum. */
export const redlineConfirm = defineKind({
  name: 'redline.confirm',
  description: 'Another member confirms a red-line declaration; at the charter\'s quorum the crossing is confirmed.',
  schema: Type.Object({ declarationId: ObjectId, note: Type.Optional(Type.String({ maxLength: 4000 })) }, { additionalProperties: false }),
  example: { declarationId: 'gb-rl-2026-01', note: 'Reproduced on the deployed copy in our jurisdiction.' },
  authorize (body, origin, state) {
    if (state.owns(origin, 'declaration', body.declarationId)) throw reject(RejectCode.CONFLICT, `${origin} made declaration ${body.declarationId}; the declarer cannot confirm itself`, 'body.declarationId')
  },
  apply (state, body, record) {
    let byOrigin = state.confirmations.get(body.declarationId)
    if (byOrigin == null) state.confirmations.set(body.declarationId, byOrigin = new Map())
    if (!byOrigin.has(record.origin)) byOrigin.set(record.origin, { origin: record.origin, recordId: record.id, time: record.time, ...(body.note != null ? { note: body.note } : {}) })
  }
})

/** The jurisdiction that registered a mandated model attests that it is shut down. */
export const redlineShutdown = defineKind({
  name: 'redline.shutdown',
  description: 'The registering jurisdiction attests it has shut down a model (when, and how it was verified).',
  pastTimes: ['shutdownAt'],
  schema: Type.Object({
    modelId: ObjectId,
    declarationId: Type.Optional(ObjectId),
    shutdownAt: Millis,
    verification: Type.String({ minLength: 1, maxLength: 4000 })
  }, { additionalProperties: false }),
  example: { modelId: 'gb-frontier-1', declarationId: 'gb-rl-2026-01', shutdownAt: 1_795_050_000_000, verification: 'Inference endpoints removed; weights destroyed under two-person rule; hashes of wiped volumes attached to the case file.' },
  authorize (body, origin, state) {
    if (!state.owns(origin, 'model', body.modelId)) {
      throw reject(RejectCode.NOT_OWNER, `${origin} did not register ${body.modelId}; only the jurisdiction that registered a model attests its shutdown`, 'body.modelId')
    }
  },
  apply (state, body, record) {
    let byOrigin = state.shutdowns.get(body.modelId)
    if (byOrigin == null) state.shutdowns.set(body.modelId, byOrigin = new Map())
    if (!byOrigin.has(record.origin)) {
      byOrigin.set(record.origin, { modelId: body.modelId, shutdownAt: body.shutdownAt, verification: body.verification, ...(body.declarationId != null ? { declarationId: body.declarationId } : {}), origin: record.origin, recordId: record.id, time: record.time })
    }
    const entry = state.models.get(body.modelId)?.get(record.origin)
    if (entry != null && entry.terminated == null) entry.terminated = { reason: 'shutdown', at: body.shutdownAt, recordId: record.id }
  }
})
