/** L50's baseline swarm: plain libp2p nodes with stock gossipsub, on 127.0.0.1. */
import { createHash } from 'node:crypto'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { gossipsub, type GossipSub, type GossipSubComponents } from '@libp2p/gossipsub'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { YamuxStream } from '@libp2p/yamux/stream'
import { seedFor } from '../test/fixtures.ts'
import type { Planned } from './l50-load.ts'
import { linkCheck, openPeers, targets, type ShardInit, type Swarm } from './l50-swarm.ts'

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
  const { ids, plan } = init
  const nodes: Array<Libp2p<BaselineServices>> = []
  const own: Record<number, string> = {}
  const byPayload = new Map(plan.map((p, i) => [digest(p.bytes), i]))
  const stop = async (): Promise<void> => { await Promise.allSettled(nodes.map(async n => { await n.stop() })) }
  try {
    for (let i = init.from; i < init.to; i++) {
      const node = await createLibp2p<BaselineServices>({
        privateKey: await generateKeyPairFromSeed('Ed25519', seedFor(ids[i] as string)),
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
      nodes.push(node)
      node.services.pubsub.addEventListener('message', evt => {
        if (evt.detail.topic !== BASELINE_TOPIC) return
        const record = byPayload.get(digest(evt.detail.data))
        if (record != null) init.arrived(i, record)
      })
      node.services.pubsub.subscribe(BASELINE_TOPIC)
      for (const addr of targets(init, i, own)) await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(5_000) })
      own[i] = node.getMultiaddrs()[0]?.toString() as string
    }
  } catch (err) {
    await stop()
    throw err
  }
  return {
    addrs: own,
    linked: linkCheck(init, i => openPeers(nodes[i - init.from] as Libp2p)),
    meshSizes: () => nodes.map(n => n.services.pubsub.getMeshPeers(BASELINE_TOPIC).length),
    publish: async (i) => {
      const p = plan[i] as Planned
      await (nodes[p.origin - init.from] as Libp2p<BaselineServices>).services.pubsub.publish(BASELINE_TOPIC, p.bytes)
    },
    stop
  }
}

function digest (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64')
}
