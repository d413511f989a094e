import type { FastifyPluginAsync } from 'fastify'
import { membership, redlines } from '../records/index.ts'
import type { ApiContext } from './server.ts'
import { ApiError } from './errors.ts'
import { page } from './query.ts'

export function governanceRoutes (ctx: ApiContext): FastifyPluginAsync {
  return async (app) => {
    /** Every declaration: supporters, quorum, and per mandated model its shutdown status or overdue flag. */
    app.get('/v1/redlines', async (req) => {
      return { ...page(redlines(ctx.node.ledger.state, Date.now()), req.query as Record<string, unknown>), catalogue: ctx.node.ledger.state.settings.redlines }
    })

    app.get('/v1/redlines/:id', async (req) => {
      const { id } = req.params as { id: string }
      const found = redlines(ctx.node.ledger.state, Date.now()).find(r => r.declarationId === id)
      if (found == null) throw new ApiError(404, 'not-found', `no declaration ${id}`, 'id')
      return found
    })

    /** Current members, the changes voted in, and proposals with their votes. */
    app.get('/v1/members', async () => {
      const state = ctx.node.ledger.state
      const m = membership(state)
      const connected = new Set(ctx.node.network.connectedMembers())
      return {
        epoch: m.epoch,
        quorum: state.settings.membershipQuorum,
        members: m.members.map(x => ({ ...x, removed: x.until != null, connected: connected.has(x.id), self: x.id === ctx.node.id })),
        changes: m.changes,
        proposals: m.proposals.map(p => ({ ...p, votes: [...(state.votes.get(p.proposalId)?.values() ?? [])] }))
      }
    })
  }
}
