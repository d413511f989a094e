/**
 * What the two swarms L50 compares share: one small interface, the links each node keeps, and
 * the check that they are up. The swarms themselves (l50-accord-swarm.ts: 50 real AccordNodes;
 * l50-baseline-swarm.ts: 50 plain libp2p nodes running stock gossipsub) live apart, and a worker
 * loads only its own mode's: Accord's network room changes a few libp2p internals when it loads
 * (src/net/libp2p-patches.ts), and the baseline must run libp2p as shipped.
 */
import { createHash } from 'node:crypto'
import type { Libp2p } from 'libp2p'
import { multiaddr } from '@multiformats/multiaddr'
import { memberPeerId } from '../src/net/peer-ids.ts'
import { SigningKey } from '../src/records/index.ts'
import { seedFor } from '../test/fixtures.ts'
import type { Planned } from './l50-load.ts'

export interface Swarm {
  /** Listen address (with /p2p/) of each node this process hosts, by node index. */
  addrs: Record<number, string>
  /** True once every node hosted here has an open connection to each of its neighbours. */
  linked: () => boolean
  /** Mesh peers on the records topic, per node hosted here. */
  meshSizes: () => number[]
  /** Sends planned record `i` from its origin; resolves when the origin has published it. */
  publish: (i: number) => Promise<void>
  stop: () => Promise<void>
}

/** The nodes [from, to) of a swarm, to run in this process. */
export interface ShardInit {
  ids: string[]
  links: Array<[number, number]>
  plan: Planned[]
  from: number
  to: number
  /** Addresses of the nodes earlier processes started (node i dials only nodes below i). */
  addrs: Record<number, string>
  /** Called when node `node` takes in planned record `record` it did not have. */
  arrived: (node: number, record: number) => void
}

/** A check that each hosted node is connected to all its neighbours; `connected(i)` lists node i's peers. */
export function linkCheck (init: ShardInit, connected: (i: number) => string[]): () => boolean {
  const peerIds = init.ids.map(id => memberPeerId({ publicKey: new SigningKey(seedFor(id)).publicKeyB64 }))
  const neighbours = (i: number): number[] => init.links.flatMap(([a, b]) => a === i ? [b] : b === i ? [a] : [])
  return () => {
    for (let i = init.from; i < init.to; i++) {
      const have = new Set(connected(i))
      if (!neighbours(i).every(j => have.has(peerIds[j] as string))) return false
    }
    return true
  }
}

export const openPeers = (libp2p: Libp2p): string[] => libp2p.getConnections().filter(c => c.status === 'open').map(c => c.remotePeer.toString())

/** What node `i` dials: its links to lower indices, started earlier here or elsewhere. */
export function targets (init: ShardInit, i: number, own: Record<number, string>): string[] {
  return init.links.filter(([a]) => a === i).map(([, b]) => {
    const addr = own[b] ?? init.addrs[b]
    if (addr == null) throw new Error(`node ${i} has no address for node ${b}`)
    return addr
  })
}

/** A plain libp2p node with a gossipsub service, as the baseline and the floor run them. */
export interface PubsubNode extends Libp2p {
  services: { pubsub: {
    addEventListener: (type: 'message', listener: (evt: CustomEvent<{ topic: string, data: Uint8Array }>) => void) => void
    subscribe: (topic: string) => void
    publish: (topic: string, data: Uint8Array) => Promise<unknown>
    getMeshPeers: (topic: string) => string[]
  } }
}

/**
 * The swarm of the baseline and of the floor: node i made (and started) by `make(i)`, then on
 * `topic`, dialling its links; a node takes in a record when gossipsub delivers its bytes.
 */
export async function pubsubSwarm (init: ShardInit, topic: string, make: (i: number) => Promise<PubsubNode>): Promise<Swarm> {
  const nodes: PubsubNode[] = []
  const own: Record<number, string> = {}
  const digest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64')
  const byPayload = new Map(init.plan.map((p, i) => [digest(p.bytes), i]))
  const stop = async (): Promise<void> => { await Promise.allSettled(nodes.map(async n => { await n.stop() })) }
  try {
    for (let i = init.from; i < init.to; i++) {
      const node = await make(i)
      nodes.push(node)
      node.services.pubsub.addEventListener('message', evt => {
        if (evt.detail.topic !== topic) return
        const record = byPayload.get(digest(evt.detail.data))
        if (record != null) init.arrived(i, record)
      })
      node.services.pubsub.subscribe(topic)
      for (const addr of targets(init, i, own)) await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(5_000) })
      own[i] = node.getMultiaddrs()[0]?.toString() as string
    }
  } catch (err) {
    await stop()
    throw err
  }
  return {
    addrs: own,
    linked: linkCheck(init, i => openPeers(nodes[i - init.from] as PubsubNode)),
    meshSizes: () => nodes.map(n => n.services.pubsub.getMeshPeers(topic).length),
    publish: async (i) => {
      const p = init.plan[i] as Planned
      await (nodes[p.origin - init.from] as PubsubNode).services.pubsub.publish(topic, p.bytes)
    },
    stop
  }
}
