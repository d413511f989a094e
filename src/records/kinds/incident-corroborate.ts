import { Type } from '@sinclair/typebox'
import { defineKind } from './kind.ts'
import { ObjectId } from './common.ts'
import { reject, RejectCode } from '../errors.ts'

export const incidentCorroborate = defineKind({
  name: 'incident.corroborate',
  description: 'Another member has seen the same incident too. Counted once per member.',
  schema: Type.Object({
    incidentId: ObjectId,
    note: Type.Optional(Type.String({ maxLength: 4000 }))
  }, { additionalProperties: false }),
  example: { incidentId: 'gb-2026-0001', note: 'Same behaviour reproduced in our evaluation of the deployed copy.' },
  authorize (body, origin, state) {
    if (state.owns(origin, 'incident', body.incidentId)) {
      throw reject(RejectCode.NOT_OWNER, `${origin} reported incident ${body.incidentId}; a reporter cannot corroborate itself`, 'body.incidentId')
    }
  },
  apply (state, body, record) {
    let byOrigin = state.corroborations.get(body.incidentId)
    if (byOrigin == null) state.corroborations.set(body.incidentId, byOrigin = new Map())
    // One origin's records arrive in chain order, so the first one kept is its earliest.
    if (byOrigin.has(record.origin)) return
    byOrigin.set(record.origin, { origin: record.origin, recordId: record.id, time: record.time, ...(body.note != null ? { note: body.note } : {}) })
  }
})
