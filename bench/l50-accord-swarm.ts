/** L50's Accord swarm: real AccordNodes, each with its own SQLite file, on 127.0.0.1. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AccordNode } from '../src/node/accord-node.ts'
import { federation, seedFor } from '../test/fixtures.ts'
import { RECORD_KIND, type Planned } from './l50-load.ts'
import { linkCheck, openPeers, targets, type ShardInit, type Swarm } from './l50-swarm.ts'

/**
 * AccordNodes, each with its own SQLite file in a temp dir; node i bootstraps off its links
 * to lower indices (already started). Arrival is the node's 'record' event (ledger accepted it,
 * so it is validated, verified and on disk), whether it came by gossip or by sync.
 */
export async function accordSwarm (init: ShardInit): Promise<Swarm> {
  const { ids, plan } = init
  const fed = federation(ids)
  const dir = mkdtempSync(join(tmpdir(), 'accord-l50-'))
  const nodes: AccordNode[] = []
  const own: Record<number, string> = {}
  const byIncident = new Map(plan.map((p, i) => [p.body.incidentId as string, i]))
  const stop = async (): Promise<void> => {
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (let i = init.from; i < init.to; i++) {
      const id = ids[i] as string
      const bootstrap = targets(init, i, own)
      const node = await AccordNode.create({ id, seed: seedFor(id), roster: fed.roster, dbPath: join(dir, `${id}.db`), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap })
      node.on('record', r => {
        const record = byIncident.get((r.body as { incidentId?: string }).incidentId ?? '')
        if (record != null) init.arrived(i, record)
      })
      nodes.push(node)
      await node.start()
      own[i] = node.multiaddrs[0] as string
    }
  } catch (err) {
    await stop()
    throw err
  }
  return {
    addrs: own,
    linked: linkCheck(init, i => openPeers((nodes[i - init.from] as AccordNode).network.libp2p)),
    meshSizes: () => nodes.map(n => n.network.gossip.meshPeers().length),
    publish: async (i) => {
      const p = plan[i] as Planned
      const admission = await (nodes[p.origin - init.from] as AccordNode).submit(RECORD_KIND, p.body)
      if (admission.verdict !== 'accept') throw new Error(`record ${i} refused: ${admission.code} ${admission.message}`)
    },
    stop
  }
}
