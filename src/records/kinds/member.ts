import { Type } from '@sinclair/typebox'
import { defineKind } from './kind.ts'
import { ObjectId } from './common.ts'
import { reject, RejectCode } from '../errors.ts'
import { MemberId } from '../codec.ts'

/**
 * A proposal to admit or remove a member. `basis` is how many membership changes the proposer
 * had seen: a proposal takes effect only as the next change after exactly that many, so every
 * node applies the same changes in the same order; once another change wins, it is stale.
 */
/** What a proposal id starts with: its proposer's id, so no one else can post under an id others voted on. */
export function proposalPrefix (proposer: string): string { return `${proposer.toLowerCase()}-` }

export const memberPropose = defineKind({
  name: 'member.propose',
  description: 'Proposes to admit a new member (with its card) or remove one; the proposal counts as the proposer\'s vote.',
  schema: Type.Object({
    proposalId: ObjectId,
    action: Type.Union([Type.Literal('admit'), Type.Literal('remove')]),
    member: MemberId,
    card: Type.Optional(Type.Object({
      id: MemberId,
      name: Type.String({ minLength: 1, maxLength: 200 }),
      publicKey: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
      peerId: Type.String({ minLength: 1, maxLength: 100 })
    }, { additionalProperties: false })),
    /** For a removal: the removed member's records up to this seq stay valid. */
    lastValidSeq: Type.Optional(Type.Integer({ minimum: 0 })),
    basis: Type.Integer({ minimum: 0 }),
    reason: Type.String({ minLength: 1, maxLength: 4000 })
  }, { additionalProperties: false }),
  example: { proposalId: 'gb-admit-br-2026', action: 'admit', member: 'BR', card: { id: 'BR', name: 'Brazil AI Safety Institute', publicKey: 'Z2xhc3Nlcy1vbi10aGUtdGFibGUtYW5kLWEtY3VwLTAx', peerId: '12D3KooW...' }, basis: 0, reason: 'Brazil joins the federation under the 2026 accord.' },
  authorize (body, origin, state) {
    // The id names its proposer, so no one else can post a proposal under an id others voted on
    // (votes name only the id): this depends on the record alone, the same on every node.
    const prefix = proposalPrefix(origin)
    if (!body.proposalId.startsWith(prefix)) throw reject(RejectCode.SCHEMA, `body.proposalId must start with "${prefix}" (its proposer's id), e.g. ${prefix}${body.action}-${body.member.toLowerCase()}`, 'body.proposalId')
    if (body.action === 'admit' && (body.card == null || body.card.id !== body.member)) throw reject(RejectCode.SCHEMA, 'an admission carries the new member\'s card, with the same id', 'body.card')
    if (body.action === 'remove' && body.lastValidSeq == null) throw reject(RejectCode.SCHEMA, 'a removal says up to which seq the member\'s records stay valid', 'body.lastValidSeq')
    if (state.owns(origin, 'proposal', body.proposalId)) throw reject(RejectCode.CONFLICT, `proposal ${body.proposalId} already made by ${origin}`, 'body.proposalId')
  },
  apply (state, body, record) {
    let claims = state.proposals.get(body.proposalId)
    if (claims == null) state.proposals.set(body.proposalId, claims = new Map())
    claims.set(record.origin, { ...body, origin: record.origin, recordId: record.id, time: record.time })
    state.governanceVersion++
  }
})

export const memberVote = defineKind({
  name: 'member.vote',
  description: 'A member\'s vote on a membership proposal; one vote per member per proposal.',
  schema: Type.Object({ proposalId: ObjectId, approve: Type.Boolean(), note: Type.Optional(Type.String({ maxLength: 4000 })) }, { additionalProperties: false }),
  example: { proposalId: 'gb-admit-br-2026', approve: true },
  authorize (body, origin, state) {
    if (state.hasSaid(origin, `vote:${body.proposalId}`)) throw reject(RejectCode.CONFLICT, `${origin} already voted on ${body.proposalId}; a member votes once`, 'body.proposalId')
    if (state.owns(origin, 'proposal', body.proposalId)) throw reject(RejectCode.CONFLICT, `${origin} made proposal ${body.proposalId}; its proposal is its vote`, 'body.proposalId')
  },
  apply (state, body, record) {
    state.say(record.origin, `vote:${body.proposalId}`)
    let votes = state.votes.get(body.proposalId)
    if (votes == null) state.votes.set(body.proposalId, votes = new Map())
    if (!votes.has(record.origin)) votes.set(record.origin, { origin: record.origin, recordId: record.id, time: record.time, approve: body.approve, ...(body.note != null ? { note: body.note } : {}) })
    state.governanceVersion++
  }
})
