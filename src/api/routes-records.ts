import type { FastifyPluginAsync } from 'fastify'
import { decodeRecord, KINDS, kindOf, unknownKindMessage } from '../records/index.ts'
import type { StoredRecord } from '../store/sqlite-store.ts'
import type { ApiContext } from './server.ts'
import { ApiError } from './errors.ts'
import { intParam, memberParam, strParam } from './query.ts'

export function recordRoutes (ctx: ApiContext): FastifyPluginAsync {
  /** A held record as the API shows it; `void` marks a removed member's record past its last valid seq. */
  const shown = (r: StoredRecord): object => ({
    ...decodeRecord(r.bytes),
    id: r.id,
    receivedAt: r.receivedAt,
    ...(ctx.node.ledger.voids(r) ? { void: true } : {})
  })
  return async (app) => {
    app.post('/v1/records', async (req, reply) => {
      const input = req.body as { kind?: unknown, body?: unknown } | null
      if (input == null || typeof input !== 'object' || Array.isArray(input)) throw new ApiError(400, 'malformed', 'send a JSON object {kind, body}')
      if (typeof input.kind !== 'string') throw new ApiError(400, 'malformed', 'kind must be a string', 'kind')
      if (input.body == null || typeof input.body !== 'object' || Array.isArray(input.body)) throw new ApiError(400, 'malformed', 'body must be a JSON object', 'body')
      const extra = Object.keys(input).filter(k => k !== 'kind' && k !== 'body')
      if (extra.length > 0) throw new ApiError(400, 'malformed', `${extra[0]} is not an allowed field`, extra[0])
      const admission = await ctx.node.submit(input.kind, input.body)
      if (admission.verdict !== 'accept') {
        throw new ApiError(admission.verdict === 'reject' ? 400 : 409, admission.code, admission.message, admission.field)
      }
      await reply.code(201).send({ id: admission.id, origin: admission.record?.origin, seq: admission.record?.seq })
    })

    app.get('/v1/records', async (req) => {
      const q = req.query as Record<string, unknown>
      const limit = intParam(q, 'limit', { min: 1, max: 1000 }) ?? 100
      const kind = strParam(q, 'kind')
      // A misspelt kind would otherwise look like "no such records".
      if (kind != null && kindOf(kind) == null) throw new ApiError(400, 'bad-query', unknownKindMessage(kind), 'kind')
      const origin = memberParam(q, 'origin', ctx.node.ledger.roster)
      const since = intParam(q, 'since')
      const after = intParam(q, 'after')
      const rows = ctx.node.ledger.store.list({ ...(kind != null ? { kind } : {}), ...(origin != null ? { origin } : {}), ...(since != null ? { since } : {}), ...(after != null ? { after } : {}), limit })
      const items = rows.map(shown)
      // `next` whenever there is one, not only on a full page: a client following new records
      // continues from it without reading the same ones again. An empty page leaves it where it was.
      const next = rows[rows.length - 1]?.cursor ?? after
      return { items, ...(next != null ? { next } : {}), more: rows.length === limit }
    })

    app.get('/v1/records/:id', async (req) => {
      const { id } = req.params as { id: string }
      const stored = ctx.node.ledger.store.get(id)
      if (stored == null) throw new ApiError(404, 'not-found', `no record ${id}`, 'id')
      return shown(stored)
    })

    app.get('/v1/kinds', async () => ({
      items: KINDS.map(k => ({ kind: k.name, description: k.description, schema: k.schema, example: k.example }))
    }))
  }
}
