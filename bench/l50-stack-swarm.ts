/**
 * L50's floor: the libp2p stack alone, assembled as Accord assembles it (src/net/libp2p-node.ts:
 * its patches, Noise through libsodium, unsigned envelopes, the record id as message id, the
 * thin mesh), carrying the same record bytes, but with no record layer at all: each message is
 * accepted unread, nothing is verified, folded or stored. What it measures is the least any
 * record layer on this stack could cost on this machine, so `baseline / stack` is the most any
 * could show against the baseline in the same run.
 */
import { createHash } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { createAccordLibp2p, type AccordLibp2p } from '../src/net/libp2p-node.ts'
import { RECORDS_TOPIC } from '../src/net/options.ts'
import { seedFor } from '../test/fixtures.ts'
import type { Planned } from './l50-load.ts'
import { linkCheck, openPeers, targets, type ShardInit, type Swarm } from './l50-swarm.ts'

const digest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64')

export async function stackSwarm (init: ShardInit): Promise<Swarm> {
  const { ids, plan } = init
  const nodes: AccordLibp2p[] = []
  const own: Record<number, string> = {}
  const byPayload = new Map(plan.map((p, i) => [digest(p.bytes), i]))
  const stop = async (): Promise<void> => { await Promise.allSettled(nodes.map(async n => { await n.stop() })) }
  try {
    for (let i = init.from; i < init.to; i++) {
      const node = await createAccordLibp2p({ seed: seedFor(ids[i] as string), listen: ['/ip4/127.0.0.1/tcp/0'], loopback: true, allowed: () => true })
      nodes.push(node)
      await node.start()
      // Accord's validator admits each record before it is forwarded; here nothing is looked at.
      node.services.pubsub.topicValidators.set(RECORDS_TOPIC, async () => TopicValidatorResult.Accept)
      node.services.pubsub.addEventListener('message', evt => {
        const record = byPayload.get(digest(evt.detail.data))
        if (record != null) init.arrived(i, record)
      })
      node.services.pubsub.subscribe(RECORDS_TOPIC)
      for (const addr of targets(init, i, own)) await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(5_000) })
      own[i] = node.getMultiaddrs()[0]?.toString() as string
    }
  } catch (err) {
    await stop()
    throw err
  }
  return {
    addrs: own,
    linked: linkCheck(init, i => openPeers((nodes[i - init.from] as AccordLibp2p) as never)),
    meshSizes: () => nodes.map(n => n.services.pubsub.getMeshPeers(RECORDS_TOPIC).length),
    publish: async (i) => {
      const p = plan[i] as Planned
      await (nodes[p.origin - init.from] as AccordLibp2p).services.pubsub.publish(RECORDS_TOPIC, p.bytes)
    },
    stop
  }
}
