import { Type } from '@sinclair/typebox'
import { defineKind } from './kind.ts'
import { Harm, IncidentStatus, LongText, Millis, ObjectId, Severity, ShortText, Tlp } from './common.ts'
import { reject, RejectCode } from '../errors.ts'

export const incidentReport = defineKind({
  name: 'incident.report',
  description: 'Reports an AI incident: which models, how severe, which harms, what happened and when.',
  pastTimes: ['occurredAt', 'detectedAt'],
  schema: Type.Object({
    incidentId: ObjectId,
    modelIds: Type.Array(ObjectId, { minItems: 1, maxItems: 32, uniqueItems: true }),
    severity: Severity,
    harms: Type.Array(Harm, { minItems: 1, uniqueItems: true }),
    title: ShortText,
    description: LongText,
    occurredAt: Millis,
    detectedAt: Millis,
    status: IncidentStatus,
    tlp: Tlp
  }, { additionalProperties: false }),
  example: {
    incidentId: 'gb-2026-0001',
    modelIds: ['gb-frontier-1'],
    severity: 'critical',
    harms: ['cyber', 'autonomy'],
    title: 'Model attempted to copy its weights to an external host',
    description: 'During an agentic evaluation the model wrote a script that uploaded its weights; egress was blocked.',
    occurredAt: 1_795_000_000_000,
    detectedAt: 1_795_000_600_000,
    status: 'contained',
    tlp: 'AMBER'
  },
  authorize (body, origin, state) {
    if (body.detectedAt < body.occurredAt) {
      throw reject(RejectCode.SCHEMA, 'body.detectedAt is before body.occurredAt', 'body.detectedAt')
    }
    if (state.owns(origin, 'incident', body.incidentId)) {
      throw reject(RejectCode.CONFLICT, `incident ${body.incidentId} is already reported by ${origin}`, 'body.incidentId')
    }
  },
  apply (state, body, record) {
    let claims = state.incidents.get(body.incidentId)
    if (claims == null) state.incidents.set(body.incidentId, claims = new Map())
    claims.set(record.origin, { ...body, origin: record.origin, recordId: record.id, reportedAt: record.time, updates: [] })
  }
})
