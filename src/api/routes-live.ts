import type { ServerResponse } from 'node:http'
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

    // Open event streams never end by themselves: the node ends them when it stops, or closing
    // the server would wait for every client (a dashboard tab reconnects for ever).
    const streams = new Set<ServerResponse>()
    app.addHook('preClose', async () => { for (const res of streams) res.end() })

    app.get('/v1/events', async (req, reply) => {
      const lastHeader = req.headers['last-event-id']
      const lastId = Array.isArray(lastHeader) ? lastHeader[0] : lastHeader
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' })
      const send = (e: LiveEvent): void => { res.write(`id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`) }
      res.write('retry: 2000\n\n')
      if (lastId != null && lastId !== '') {
        const resumed = ctx.events.resume(lastId)
        if (resumed.restarted) res.write(': the node restarted since that event: every event since the restart follows; read /v1/records for records from before it\n\n')
        // Quoted as JSON: one line whatever it holds, so it cannot end the comment.
        if (resumed.malformed) res.write(`: Last-Event-ID ${JSON.stringify(lastId.slice(0, 80))} is not an event id of this node (they are <boot>.<n>, as in this stream's id: lines): every event since the node started follows; read /v1/records for records from before it\n\n`)
        if (resumed.gap) res.write(': some events were dropped from the resume window; read /v1/records to fill the gap\n\n')
        for (const e of resumed.events) send(e)
      }
      const unsubscribe = ctx.events.subscribe(send)
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS)
      heartbeat.unref()
      streams.add(res)
      req.raw.on('close', () => { clearInterval(heartbeat); unsubscribe(); streams.delete(res) })
    })
  }
}
