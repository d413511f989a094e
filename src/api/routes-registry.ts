import type { FastifyPluginAsync } from 'fastify'
import { incidentFlags, modelFlags, redlines, MODEL_STAGES, SEVERITIES } from '../records/index.ts'
import type { ApiContext } from './server.ts'
import { ApiError } from './errors.ts'
import { memberParam, oneOfParam, page, strParam } from './query.ts'

export function registryRoutes (ctx: ApiContext): FastifyPluginAsync {
  const state = () => ctx.node.ledger.state

  const modelView = (id: string) => {
    const s = state()
    const model = s.model(id)
    if (model == null) return undefined
    return {
      ...model,
      flags: modelFlags(s, id, redlines(s, Date.now())),
      acknowledgements: [...(s.acknowledgements.get(id)?.values() ?? [])],
      conflicts: s.conflicts('model', id),
      lineage: {
        ancestors: s.ancestors(id),
        descendants: s.descendants(id).map(d => ({ modelId: d, jurisdiction: s.model(d)?.jurisdiction ?? null, relation: s.model(d)?.parent?.relation ?? null, parent: s.model(d)?.parent?.modelId ?? null }))
      }
    }
  }

  /** List orders: by id (the default), or newest first (by the writer's registration or report time; ties by id, last first). */
  const SORTS = ['id', 'recent'] as const
  return async (app) => {
    app.get('/v1/models', async (req) => {
      const q = req.query as Record<string, unknown>
      const jurisdiction = memberParam(q, 'jurisdiction', ctx.node.ledger.roster)
      const stage = oneOfParam(q, 'stage', MODEL_STAGES)
      const recent = oneOfParam(q, 'sort', SORTS) === 'recent'
      const ids = [...state().models.keys()].sort()
      const mandates = redlines(state(), Date.now())
      const models = ids.map(id => state().model(id)).filter(m => m != null)
        .filter(m => (jurisdiction == null || m.jurisdiction === jurisdiction) && (stage == null || m.stage === stage))
      if (recent) models.sort((a, b) => b.registeredAt - a.registeredAt || b.modelId.localeCompare(a.modelId))
      const p = page(models, q)
      return { ...p, items: p.items.map(m => ({ ...m, flags: modelFlags(state(), m.modelId, mandates) })) }
    })

    app.get('/v1/models/:id', async (req) => {
      const { id } = req.params as { id: string }
      const view = modelView(id)
      if (view == null) throw new ApiError(404, 'not-found', `no model ${id} is registered`, 'id')
      return view
    })

    app.get('/v1/incidents', async (req) => {
      const q = req.query as Record<string, unknown>
      const severity = oneOfParam(q, 'severity', SEVERITIES)
      const model = strParam(q, 'model')
      const origin = memberParam(q, 'origin', ctx.node.ledger.roster)
      const recent = oneOfParam(q, 'sort', SORTS) === 'recent'
      const s = state()
      const incidents = [...s.incidents.keys()].sort().map(id => s.incident(id)).filter(i => i != null)
        .filter(i => (severity == null || i.severity === severity) && (model == null || i.modelIds.includes(model)) && (origin == null || i.origin === origin))
      if (recent) incidents.sort((a, b) => b.reportedAt - a.reportedAt || b.incidentId.localeCompare(a.incidentId))
      return page(incidents.map(i => ({ ...i, corroborations: s.corroborationsOf(i.incidentId).length, flags: incidentFlags(s, i.incidentId) })), q)
    })

    app.get('/v1/incidents/:id', async (req) => {
      const { id } = req.params as { id: string }
      const s = state()
      const incident = s.incident(id)
      if (incident == null) throw new ApiError(404, 'not-found', `no incident ${id} is reported`, 'id')
      return { ...incident, flags: incidentFlags(s, id), conflicts: s.conflicts('incident', id), corroborations: s.corroborationsOf(id) }
    })
  }
}
