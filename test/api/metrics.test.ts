/**
 * Each node's /metrics reports its own libp2p figures, however many nodes share the process (the
 * drills, the tests): @libp2p/prometheus-metrics keeps its metrics in one map per process, and
 * with `preserveExistingMetrics` the first node's registry got every node's libp2p metrics, and
 * every later node's none.
 */
import assert from 'node:assert/strict'
import { services, call, type Services } from './fixture.ts'
import { waitFor } from '../fixtures.ts'

/** The node's own count of open connections, as its /metrics reports it (inbound + outbound). */
function connectionsIn (metrics: string): number {
  const line = (dir: string): number => Number(new RegExp(`^libp2p_connection_manager_connections\\{[^}]*="${dir}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? NaN)
  return line('inbound') + line('outbound')
}

describe('api: /metrics of several nodes in one process', function () {
  this.timeout(60_000)
  let fed: Services | undefined
  after(async () => { await fed?.stop() })

  it('each node reports its own libp2p connections, not the first node\'s', async () => {
    // GB is everyone's bootstrap; JP also finds US. Two members dialling each other at once may
    // hold two links for a while, so each node's count is compared with its own, as it is then.
    fed = await services(['GB', 'US', 'JP'])
    const open = (i: number): number => fed!.nodes[i]!.node.network.libp2p.getConnections().filter(c => c.status === 'open').length
    await waitFor(() => fed!.nodes.every(n => n.node.network.connectedMembers().length === 2), 'every node linked to both others')
    for (const [i, n] of fed.nodes.entries()) {
      let metrics = ''
      await waitFor(async () => {
        metrics = String((await call(n, 'GET', '/metrics')).json)
        return connectionsIn(metrics) === open(i)
      }, `${n.node.id}'s /metrics to count its own ${open(i)} links`, 10_000).catch(() => undefined)
      assert.equal(connectionsIn(metrics), open(i), `${n.node.id}'s /metrics: ${metrics.split('\n').filter(l => l.startsWith('libp2p_connection_manager_connections')).join('; ')}`)
    }
  })
})
