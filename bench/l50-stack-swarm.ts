/**
 * L50's floor: the libp2p stack alone, assembled as Accord assembles it (src/net/libp2p-node.ts:
 * its patches, Noise through libsodium, unsigned envelopes, the record id as message id, the
 * thin mesh) and with the process-wide scheduling Accord's nodes set up (src/node/quiet.ts,
 * idle-gc.ts, thread-priority.ts), carrying the same record bytes, but with no record layer at
 * all: each message is accepted unread, nothing is verified, folded or stored, no sync runs.
 * What it measures is about the least any record layer on this stack could cost on this
 * machine, so `baseline / stack` is about the most any could show against the baseline in the
 * same round.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { createAccordLibp2p } from '../src/net/libp2p-node.ts'
import { RECORDS_TOPIC } from '../src/net/options.ts'
import { processIdleGc } from '../src/node/idle-gc.ts'
import { processQuiet } from '../src/node/quiet.ts'
import { yieldHelperThreads } from '../src/node/thread-priority.ts'
import { seedFor } from '../test/fixtures.ts'
import { pubsubSwarm, type PubsubNode, type ShardInit, type Swarm } from './l50-swarm.ts'

export async function stackSwarm (init: ShardInit): Promise<Swarm> {
  // What an AccordNode sets up for its process, the floor gets too: heartbeats and young-generation
  // collections at quiet moments, V8's helper threads yielding to the main thread.
  const quiet = processQuiet()
  processIdleGc()
  const swarm = await pubsubSwarm(init, RECORDS_TOPIC, async i => {
    const node = await createAccordLibp2p({ seed: seedFor(init.ids[i] as string), listen: ['/ip4/127.0.0.1/tcp/0'], loopback: true, allowed: () => true, quiet })
    await node.start()
    // Accord's validator admits each record before it is forwarded; here nothing is looked at,
    // and the message only tells the process it is busy, as an admission does.
    node.services.pubsub.topicValidators.set(RECORDS_TOPIC, async () => { quiet.touch(); return TopicValidatorResult.Accept })
    return node as unknown as PubsubNode
  })
  yieldHelperThreads()
  return swarm
}
