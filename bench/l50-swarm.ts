/**
 * The two swarms L50 compares, behind one small interface: 50 real AccordNodes, and 50 plain
 * libp2p nodes running stock gossipsub. Same peer keys, same links, same transport stack
 * (tcp + noise + yamux + identify + ping on 127.0.0.1), same loopback-only settings.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { gossipsub, type GossipSubComponents } from '@libp2p/gossipsub'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { AccordNode } from '../src/node/accord-node.ts'
import type { AccordGossip } from '../src/net/libp2p-node.ts'
import { memberPeerId } from '../src/net/index.ts'
import { SigningKey } from '../src/records/index.ts'
import { federation, seedFor } from '../test/fixtures.ts'
import { RECORD_KIND, type Planned } from './l50-load.ts'

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
function linkCheck (init: ShardInit, connected: (i: number) => string[]): () => boolean {
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

const openPeers = (libp2p: Libp2p): string[] => libp2p.getConnections().filter(c => c.status === 'open').map(c => c.remotePeer.toString())

/** What node `i` dials: its links to lower indices, started earlier here or elsewhere. */
function targets (init: ShardInit, i: number, own: Record<number, string>): string[] {
  return init.links.filter(([a]) => a === i).map(([, b]) => {
    const addr = own[b] ?? init.addrs[b]
    if (addr == null) throw new Error(`node ${i} has no address for node ${b}`)
    return addr
  })
}

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

const BASELINE_TOPIC = 'l50/baseline'
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- libp2p's ServiceMap needs a type alias
type BaselineServices = { identify: Identify, ping: Ping, pubsub: AccordGossip }

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
          pubsub: gossipsub({ scoreParams: { IPColocationFactorWeight: 0 } }) as unknown as (c: GossipSubComponents) => AccordGossip
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
