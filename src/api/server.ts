/**
 * The node's HTTP API (Fastify), on 127.0.0.1 unless the operator says otherwise. Every route
 * but `GET /v1/health` needs `Authorization: Bearer <token>`; errors are always
 * `{error: {code, message, field?}}`; records enter through the same validator as gossip.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { timingSafeEqual } from 'node:crypto'
import type { AccordNode } from '../node/accord-node.ts'
import type { NodeMetrics } from '../node/metrics.ts'
import { WritesNotOpenError } from '../node/write-gate.ts'
import { ApiError, errorBody, fromFastifyError } from './errors.ts'
import { EventLog } from './event-log.ts'
import { recordRoutes } from './routes-records.ts'
import { registryRoutes } from './routes-registry.ts'
import { liveRoutes } from './routes-live.ts'
import { governanceRoutes } from './routes-governance.ts'
import { readFileSync } from 'node:fs'

const DASHBOARD = readFileSync(new URL('./static/dashboard.html', import.meta.url), 'utf8')

export interface ApiContext {
  node: AccordNode
  token: string
  events: EventLog
  metrics: NodeMetrics
  /** Told of every request that ended in a 500 (a bug: the client gets no detail, the operator's log does). */
  onInternalError?: (err: unknown, request: string) => void
}

/**
 * JSON.parse that refuses `__proto__` and `constructor.prototype` keys, as Fastify's own parser
 * does, but says so instead of calling the body invalid JSON.
 */
function parseJsonBody (text: string): unknown {
  if (text.trim() === '') throw new ApiError(400, 'malformed-json', 'the JSON body is empty')
  try {
    return JSON.parse(text, function (this: unknown, key: string, value: unknown) {
      if (key === '__proto__' || (key === 'constructor' && value != null && typeof value === 'object' && Object.hasOwn(value, 'prototype'))) {
        throw new ApiError(400, 'malformed-json', `the body has a "${key === '__proto__' ? '__proto__' : 'constructor.prototype'}" key, which is not allowed`)
      }
      return value
    })
  } catch (err) {
    if (err instanceof ApiError) throw err
    throw new ApiError(400, 'malformed-json', `the body is not valid JSON: ${(err as Error).message}`)
  }
}

/** Bodies are a record's body plus a little: 256 KiB is four times the largest record. */
export const API_BODY_LIMIT = 256 * 1024

function tokenMatches (header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') === true ? header.slice(7).trim() : '')
  const wanted = Buffer.from(token)
  return given.length === wanted.length && timingSafeEqual(given, wanted)
}

export function createApi (ctx: ApiContext): FastifyInstance {
  const app = Fastify({ bodyLimit: API_BODY_LIMIT, logger: false, return503OnClosing: true })
  // Bodies are JSON only: Fastify's own text/plain parser would hand a route a string, and a
  // client that forgot its Content-Type should hear that (415), not that its JSON is malformed.
  app.removeContentTypeParser('text/plain')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try { done(null, parseJsonBody(body as string)) } catch (err) { done(err as Error, undefined) }
  })

  app.addHook('onRequest', async (req, reply) => {
    // The health check and the dashboard's static page need no token; the data it shows does.
    if (req.method === 'GET' && ['/v1/health', '/', '/dashboard'].includes(req.url.split('?')[0] as string)) return
    if (!tokenMatches(req.headers.authorization, ctx.token)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send(errorBody('unauthorized', 'missing or wrong bearer token (see <data>/api-token)'))
    }
  })

  app.setErrorHandler(async (err, req, reply) => {
    // Writes not open yet after a start (write-gate.ts): try again shortly.
    const e = err instanceof ApiError ? err : err instanceof WritesNotOpenError ? new ApiError(503, 'catching-up', err.message) : fromFastifyError(err as never)
    // A 503 (writes not open yet, or closing) is no bug: the log says why once, not per request.
    if (e.status >= 500 && e.status !== 503) ctx.onInternalError?.(err, `${req.method} ${req.url.split('?')[0] ?? ''}`)
    await reply.code(e.status).send(errorBody(e.code, e.message, e.field))
  })
  app.setNotFoundHandler(async (req, reply) => {
    await reply.code(404).send(errorBody('not-found', `no route ${req.method} ${req.url.split('?')[0]}`))
  })

  app.get('/', async (_req, reply) => await reply.redirect('/dashboard'))
  app.get('/dashboard', async (_req, reply) => await reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'").send(DASHBOARD))
  app.register(recordRoutes(ctx))
  app.register(registryRoutes(ctx))
  app.register(liveRoutes(ctx))
  app.register(governanceRoutes(ctx))
  return app
}

/** Feeds the node's records and alarms into the event log that `/v1/events` streams. */
export function connectEvents (node: AccordNode, events: EventLog): void {
  node.on('record', r => events.push('record', { id: r.id, origin: r.origin, seq: r.seq, kind: r.kind, time: r.time, body: r.body, ...(node.ledger.voids(r) ? { void: true } : {}) }))
  node.on('alarm', a => events.push('alarm', a))
  // A retraction goes to the stream of what it retracts.
  node.on('transition', t => events.push((t.type === 'retracted' ? t.transition.type : t.type).startsWith('member.') ? 'member' : 'redline', t))
}
