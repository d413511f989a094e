import { Type } from '@sinclair/typebox'
import { defineKind } from './kind.ts'
import { Evaluation, Millis, ModelStage, ObjectId, Relation, Sha256Hex, ShortText } from './common.ts'
import { reject, RejectCode } from '../errors.ts'
import { MemberId } from '../codec.ts'

export const modelRegister = defineKind({
  name: 'model.register',
  description: 'Registers a large AI model (training run or deployment) in the registering member\'s jurisdiction.',
  schema: Type.Object({
    modelId: ObjectId,
    name: ShortText,
    developer: ShortText,
    jurisdiction: MemberId,
    stage: ModelStage,
    trainingComputeFlop: Type.Number({ minimum: 0, maximum: 1e40 }),
    parameters: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    openWeights: Type.Boolean(),
    parent: Type.Optional(Type.Object({ modelId: ObjectId, relation: Relation }, { additionalProperties: false })),
    weightsDigest: Type.Optional(Sha256Hex),
    evaluations: Type.Optional(Type.Array(Evaluation, { maxItems: 64 })),
    trainingStartedAt: Type.Optional(Millis)
  }, { additionalProperties: false }),
  example: {
    modelId: 'gb-frontier-1',
    name: 'Frontier One',
    developer: 'Example Labs Ltd',
    jurisdiction: 'GB',
    stage: 'training',
    trainingComputeFlop: 3e25,
    parameters: 400_000_000_000,
    openWeights: false,
    evaluations: [{ name: 'autonomous-replication-suite', result: 'no replication observed', score: 0.02 }]
  },
  authorize (body, origin, state) {
    if (body.jurisdiction !== origin) {
      throw reject(RejectCode.NOT_OWNER, `a member registers models in its own jurisdiction (${origin}), not ${body.jurisdiction}`, 'body.jurisdiction')
    }
    if (body.trainingComputeFlop >= state.settings.computeThresholdFlop && (body.evaluations ?? []).length === 0) {
      throw reject(RejectCode.SCHEMA, `a frontier model (≥ ${state.settings.computeThresholdFlop} FLOP) must be registered with its capability-evaluation results`, 'body.evaluations')
    }
    if (state.owns(origin, 'model', body.modelId)) {
      throw reject(RejectCode.CONFLICT, `model ${body.modelId} is already registered by ${origin}`, 'body.modelId')
    }
  },
  apply (state, body, record) {
    let claims = state.models.get(body.modelId)
    if (claims == null) state.models.set(body.modelId, claims = new Map())
    claims.set(record.origin, {
      ...body,
      evaluations: body.evaluations ?? [],
      origin: record.origin,
      recordId: record.id,
      registeredAt: record.time,
      updates: [],
      paused: false
    })
    if (body.parent != null) {
      let kids = state.children.get(body.parent.modelId)
      if (kids == null) state.children.set(body.parent.modelId, kids = new Set())
      kids.add(body.modelId)
    }
  }
})
