/**
 * L50's floor: the libp2p stack alone, assembled as Accord assembles it (src/net/libp2p-node.ts:
 * its patches, Noise through libsodium, unsigned envelopes, the record id as message id, the
 * thin mesh), carrying the same record bytes, but with no record layer at all: each message is
 * accepted unread, nothing is verified, folded or stored. What it measures is the least any
 * record layer on this stack could cost on this machine, so `baseline / stack` is the most any
 * could show against the baseline in the same run.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { createAccordLibp2p } from '../src/net/libp2p-node.ts'
import { RECORDS_TOPIC } from '../src/net/options.ts'
import { seedFor } from '../test/fixtures.ts'
import { pubsubSwarm, type PubsubNode, type ShardInit, type Swarm } from './l50-swarm.ts'

export async function stackSwarm (init: ShardInit): Promise<Swarm> {
  return await pubsubSwarm(init, RECORDS_TOPIC, async i => {
    const node = await createAccordLibp2p({ seed: seedFor(init.ids[i] as string), listen: ['/ip4/127.0.0.1/tcp/0'], loopback: true, allowed: () => true })
    await node.start()
    // Accord's validator admits each record before it is forwarded; here nothing is looked at.
    node.services.pubsub.topicValidators.set(RECORDS_TOPIC, async () => TopicValidatorResult.Accept)
    return node as unknown as PubsubNode
  })
}
