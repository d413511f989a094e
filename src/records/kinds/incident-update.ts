import { Type } from '@sinclair/typebox'
import { defineKind } from './kind.ts'
import { Harm, IncidentStatus, LongText, ObjectId, Severity } from './common.ts'
import { reject, RejectCode } from '../errors.ts'

export const incidentUpdate = defineKind({
  name: 'incident.update',
  description: 'A follow-up or final report on an incident; only its reporter may update it.',
  schema: Type.Object({
    incidentId: ObjectId,
    report: Type.Optional(Type.Union([Type.Literal('follow-up'), Type.Literal('final')])),
    status: Type.Optional(IncidentStatus),
    severity: Type.Optional(Severity),
    harms: Type.Optional(Type.Array(Harm, { minItems: 1, uniqueItems: true })),
    modelIds: Type.Optional(Type.Array(ObjectId, { minItems: 1, maxItems: 32, uniqueItems: true })),
    description: Type.Optional(LongText)
  }, { additionalProperties: false, minProperties: 2 }),
  example: { incidentId: 'gb-2026-0001', report: 'follow-up', status: 'resolved', description: 'Egress rules hardened; root cause found.' },
  authorize (body, origin, state) {
    if (!state.owns(origin, 'incident', body.incidentId)) {
      throw reject(RejectCode.NOT_OWNER, `${origin} did not report incident ${body.incidentId}; only its reporter may update it`, 'body.incidentId')
    }
  },
  apply (state, body, record) {
    const entry = state.incidents.get(body.incidentId)?.get(record.origin)
    if (entry == null) return
    const { incidentId: _id, report: _report, ...changes } = body
    Object.assign(entry, changes)
    entry.updates.push({ recordId: record.id, seq: record.seq, time: record.time, changes: { ...body } })
  }
})
