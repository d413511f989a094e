import { Type } from '@sinclair/typebox'
import { defineKind } from './kind.ts'
import { Evaluation, ModelStage, ObjectId, Sha256Hex } from './common.ts'
import { reject, RejectCode } from '../errors.ts'

export const modelUpdate = defineKind({
  name: 'model.update',
  description: 'Changes a model\'s stage or facts; only the registering member may update its model.',
  schema: Type.Object({
    modelId: ObjectId,
    stage: Type.Optional(Type.Union([ModelStage, Type.Literal('decommissioned')])),
    trainingComputeFlop: Type.Optional(Type.Number({ minimum: 0, maximum: 1e40 })),
    parameters: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    openWeights: Type.Optional(Type.Boolean()),
    weightsDigest: Type.Optional(Sha256Hex),
    evaluations: Type.Optional(Type.Array(Evaluation, { maxItems: 64 })),
    /** A pause order (true) or its lifting (false) by the registering member. */
    paused: Type.Optional(Type.Boolean()),
    note: Type.Optional(Type.String({ maxLength: 4000 }))
  }, { additionalProperties: false, minProperties: 2 }),
  example: { modelId: 'gb-frontier-1', paused: true, note: 'pause order: training halted pending evaluation' },
  authorize (body, origin, state) {
    if (!state.owns(origin, 'model', body.modelId)) {
      throw reject(RejectCode.NOT_OWNER, `${origin} did not register model ${body.modelId}; only its registering member may update it`, 'body.modelId')
    }
    const terminated = state.models.get(body.modelId)?.get(origin)?.terminated
    if (terminated != null && (body.paused === false || (body.stage != null && body.stage !== 'decommissioned'))) {
      throw reject(RejectCode.TERMINATED, `model ${body.modelId} was terminated (${terminated.reason}); it can never be resumed`, body.paused === false ? 'body.paused' : 'body.stage')
    }
  },
  apply (state, body, record) {
    const entry = state.models.get(body.modelId)?.get(record.origin)
    if (entry == null) return
    const { modelId: _id, note: _note, ...changes } = body
    if (changes.evaluations != null) changes.evaluations = [...entry.evaluations, ...changes.evaluations]
    Object.assign(entry, changes)
    if (body.stage === 'decommissioned' && entry.terminated == null) entry.terminated = { reason: 'decommissioned', at: record.time, recordId: record.id }
    entry.updates.push({ recordId: record.id, seq: record.seq, time: record.time, changes: { ...body } })
  }
})
