import { Type } from '@sinclair/typebox'
import { defineKind } from './kind.ts'
import { ObjectId } from './common.ts'
import { reject, RejectCode } from '../errors.ts'

export const modelAcknowledge = defineKind({
  name: 'model.acknowledge',
  description: 'Another member acknowledges a pause order or shutdown of a model registered elsewhere.',
  schema: Type.Object({
    modelId: ObjectId,
    order: Type.Union([Type.Literal('pause'), Type.Literal('shutdown')]),
    note: Type.Optional(Type.String({ maxLength: 4000 }))
  }, { additionalProperties: false }),
  example: { modelId: 'gb-frontier-1', order: 'pause', note: 'Deployments of copies in our jurisdiction paused too.' },
  authorize (body, origin, state) {
    if (state.owns(origin, 'model', body.modelId)) throw reject(RejectCode.NOT_OWNER, `${origin} registered ${body.modelId}; a member acknowledges other members' orders`, 'body.modelId')
  },
  apply (state, body, record) {
    let acks = state.acknowledgements.get(body.modelId)
    if (acks == null) state.acknowledgements.set(body.modelId, acks = new Map())
    if (!acks.has(record.origin)) acks.set(record.origin, { origin: record.origin, recordId: record.id, time: record.time, order: body.order, ...(body.note != null ? { note: body.note } : {}) })
  }
})
