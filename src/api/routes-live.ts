import type { FastifyPluginAsync } from 'fastify'
import type { ApiContext } from './server.ts'
import type { LiveEvent } from './event-log.ts'

/** SSE keep-alive: a comment line often enough that proxies do not close an idle stream. */
const HEARTBEAT_MS = 15_000

export function liveRoutes (ctx: ApiContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/v1/health', async () => ({ ok: true, id: ctx.node.id, digest: ctx.node.digest(), peers: ctx.node.network.connectedMembers().length, equivocations: ctx.node.ledger.state.forks.size }))

    app.get('/v1/view', async () => await ctx.node.view())

    app.get('/metrics', async (_req, reply) => {
      const m = ctx.metrics
      m.peers.set(ctx.node.network.connectedMembers().length)
      m.storeBytes.set(ctx.node.ledger.store.sizeBytes())
      m.records.set(ctx.node.ledger.size)
      m.pending.set(ctx.node.ledger.pendingCount)
      await reply.header('content-type', m.registry.contentType).send(await m.registry.metrics())
    })

    app.get('/v1/events', async (req, reply) => {
      const lastHeader = req.headers['last-event-id']
      const lastId = Number(Array.isArray(lastHeader) ? lastHeader[0] : lastHeader)
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' })
      const send = (e: LiveEvent): void => { res.write(`id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`) }
      res.write('retry: 2000\n\n')
      if (Number.isInteger(lastId) && lastId >= 0) {
        if (ctx.events.missed(lastId)) res.write(': some events were dropped from the resume window; read /v1/records to fill the gap\n\n')
        for (const e of ctx.events.since(lastId)) send(e)
      }
      const unsubscribe = ctx.events.subscribe(send)
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS)
      heartbeat.unref()
      req.raw.on('close', () => { clearInterval(heartbeat); unsubscribe() })
    })
  }
}
