import { Type } from '@sinclair/typebox'
import { defineKind } from './kind.ts'
import { ObjectId } from './common.ts'
import { reject, RejectCode } from '../errors.ts'

const Reason = Type.String({ minLength: 1, maxLength: 4000 })

/** A retraction by the author: propagates like any record and is shown, never deleted. */
export const incidentWithdraw = defineKind({
  name: 'incident.withdraw',
  description: 'The reporter retracts an incident report (shown as withdrawn, never deleted).',
  schema: Type.Object({ incidentId: ObjectId, reason: Reason }, { additionalProperties: false }),
  example: { incidentId: 'gb-2026-0001', reason: 'Duplicate of gb-2026-0002; logs misattributed.' },
  authorize (body, origin, state) {
    if (!state.owns(origin, 'incident', body.incidentId)) throw reject(RejectCode.NOT_OWNER, `${origin} did not report incident ${body.incidentId}; only its reporter may withdraw it`, 'body.incidentId')
  },
  apply (state, body, record) {
    const entry = state.incidents.get(body.incidentId)?.get(record.origin)
    if (entry != null && entry.withdrawn == null) entry.withdrawn = { reason: body.reason, at: record.time, recordId: record.id }
  }
})

export const modelWithdraw = defineKind({
  name: 'model.withdraw',
  description: 'The registering member retracts a registration made in error (shown as withdrawn, never deleted).',
  schema: Type.Object({ modelId: ObjectId, reason: Reason }, { additionalProperties: false }),
  example: { modelId: 'gb-frontier-1', reason: 'Registered twice; see gb-frontier-1b.' },
  authorize (body, origin, state) {
    if (!state.owns(origin, 'model', body.modelId)) throw reject(RejectCode.NOT_OWNER, `${origin} did not register model ${body.modelId}; only its registering member may withdraw it`, 'body.modelId')
  },
  apply (state, body, record) {
    const entry = state.models.get(body.modelId)?.get(record.origin)
    if (entry != null && entry.withdrawn == null) entry.withdrawn = { reason: body.reason, at: record.time, recordId: record.id }
  }
})
