/** L50's baseline swarm: plain libp2p nodes with stock gossipsub, on 127.0.0.1. */
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { gossipsub, type GossipSub, type GossipSubComponents } from '@libp2p/gossipsub'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { YamuxStream } from '@libp2p/yamux/stream'
import { seedFor } from '../test/fixtures.ts'
import { pubsubSwarm, type PubsubNode, type ShardInit, type Swarm } from './l50-swarm.ts'

const BASELINE_TOPIC = 'l50/baseline'
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- libp2p's ServiceMap needs a type alias
type BaselineServices = { identify: Identify, ping: Ping, pubsub: GossipSub & { getMeshPeers: (topic: string) => string[] } }

/**
 * The baseline: createLibp2p + gossipsub() with its defaults (StrictSign envelope signatures,
 * from+seqno message ids, no topic validator, no record checks, no store), publishing the very
 * bytes Accord's records are made of. Only what 50 nodes on one loopback IP need is changed,
 * and Accord's assembly changes the same things:
 *   - IPColocationFactorWeight 0: every peer is 127.0.0.1, so the IP-colocation penalty would
 *     graylist honest peers (Accord switches it off on loopback too);
 *   - connectionManager allow 127.0.0.1: the inbound rate limiter (5/s per host) would reset
 *     the dials of a whole swarm starting at once;
 *   - connectionMonitor abortConnectionOnPingFailure false: two cores busy with 50 nodes make
 *     pings time out, and aborting the connection would lose messages.
 */
export async function baselineSwarm (init: ShardInit): Promise<Swarm> {
  if ((YamuxStream.prototype as { __accordPatched?: boolean }).__accordPatched === true) {
    throw new Error('the baseline must run libp2p as shipped, but Accord\'s patches were loaded in this process')
  }
  return await pubsubSwarm(init, BASELINE_TOPIC, async i => {
    const node = await createLibp2p<BaselineServices>({
      privateKey: await generateKeyPairFromSeed('Ed25519', seedFor(init.ids[i] as string)),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { allow: ['/ip4/127.0.0.1'] },
      connectionMonitor: { abortConnectionOnPingFailure: false },
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub({ scoreParams: { IPColocationFactorWeight: 0 } }) as unknown as (c: GossipSubComponents) => BaselineServices['pubsub']
      }
    })
    return node as unknown as PubsubNode
  })
}
