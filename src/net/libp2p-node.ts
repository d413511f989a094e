/**
 * The libp2p assembly: TCP (or in-process memory) transport, Noise, Yamux, identify, ping and
 * gossipsub, with the members-only gater. The member's Ed25519 signing key is its libp2p key.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { memory } from '@libp2p/memory'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { gossipsub, StrictNoSign, type GossipSub, type GossipSubComponents } from '@libp2p/gossipsub'
import { createTopicScoreParams } from '@libp2p/gossipsub/score'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { Message } from '@libp2p/gossipsub'
import type { RPC } from '@libp2p/gossipsub/message'
import { createHash } from 'node:crypto'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import type { Registry } from 'prom-client'
import type { Multiaddr } from '@multiformats/multiaddr'
import { membersOnlyGater, type GaterInit } from './gater.ts'
import { reachableFromElsewhere } from './addresses.ts'
import { NET_DEFAULTS, RECORDS_TOPIC } from './options.ts'
import './libp2p-patches.ts'
import { sodiumNoiseCrypto } from './noise-cipher.ts'
import { PEER_EXCHANGE_OPTIONS, exchangePeersWhenStarved } from './peer-exchange.ts'
import type { QuietGate } from './sync-scheduler.ts'

/** Gossipsub with the two methods its exported type leaves out. */
export type AccordGossip = GossipSub & { getMeshPeers: (topic: string) => string[], getScore: (peerId: string) => number }
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- libp2p's ServiceMap needs a type alias
export type AccordServices = { identify: Identify, ping: Ping, pubsub: AccordGossip }
export type AccordLibp2p = Libp2p<AccordServices>

export interface Libp2pInit extends GaterInit {
  /** The member's 32-byte Ed25519 seed (the same key signs its records). */
  seed: Uint8Array
  listen: string[]
  announce?: string[]
  transport?: 'tcp' | 'memory'
  /** Latency in ms added by the memory transport (drills). @default 0 */
  memoryLatencyMs?: number
  /**
   * True when every peer shares one IP (loopback tests, one-machine demos). Gossipsub's
   * IP-colocation penalty would then graylist honest peers (60 % delivery at 50 nodes), so it
   * is switched off here only; real deployments keep it against Sybil peers on one host.
   */
  loopback?: boolean
  /** Where libp2p's own metrics go (connections, streams, bytes per protocol). */
  metricsRegistry?: Registry
  /** Gossipsub's heartbeats wait for the process's quiet moments (at most 100 ms), if given. */
  quiet?: QuietGate
}

/** Longest a gossipsub heartbeat waits for a quiet moment. */
const HEARTBEAT_QUIET_WAIT_MS = 100

/**
 * Gossipsub runs a heartbeat every second (mesh upkeep, IHAVE gossip, the message cache's
 * shift), 0.5 ms on average and up to 5 ms at 50 nodes. Nodes in one process share its thread,
 * so a heartbeat due while a record crosses the process adds its time to that record's. Nothing
 * in it is urgent to the millisecond: here each one first waits for a quiet moment.
 */
function heartbeatsWhenQuiet (pubsub: unknown, quiet: QuietGate): void {
  const gs = pubsub as { runHeartbeat?: () => void, isStarted?: () => boolean }
  const run = gs.runHeartbeat
  if (typeof run !== 'function') return
  gs.runHeartbeat = () => {
    // Stopped while waiting: no heartbeat (and so no next one scheduled).
    void quiet.whenQuiet(HEARTBEAT_QUIET_WAIT_MS).then(() => { if (gs.isStarted?.() !== false) run() })
  }
}

/** The record id (SHA-256 of the signed bytes) is the gossip message id, so duplicates die everywhere. */
function recordIdBytes (data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest()
}

export async function createAccordLibp2p (init: Libp2pInit): Promise<AccordLibp2p> {
  const privateKey = await generateKeyPairFromSeed('Ed25519', init.seed)
  const transport = init.transport ?? 'tcp'
  const pubsub = gossipsub({
    // Records carry their own signature: gossipsub's envelope signature would only add work.
    globalSignaturePolicy: StrictNoSign,
    msgIdFn: (msg: Message) => recordIdBytes(msg.data),
    // Looked up before msgIdFn and validation: a duplicate costs one hash, no cryptography.
    fastMsgIdFn: (rpc: RPC.Message) => createHash('sha256').update(rpc.data ?? new Uint8Array()).digest('base64'),
    // Message ids become map keys on every IHAVE, IWANT and cache lookup; the default encodes
    // them with a JavaScript base64 (a tenth of all memory a node allocated under load).
    msgIdToStrFn: (id: Uint8Array) => Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('base64'),
    ...NET_DEFAULTS.mesh,
    Dlazy: NET_DEFAULTS.lazyGossipPeers,
    ...PEER_EXCHANGE_OPTIONS,
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    allowedTopics: [RECORDS_TOPIC],
    maxInboundDataLength: NET_DEFAULTS.maxGossipRpcBytes,
    // IDONTWANT (default for messages over 512 B) sends every mesh peer an extra frame per record;
    // records are small, so that frame costs more than the duplicate it saves: about 15 % less
    // CPU per delivery measured at 50 nodes with it off.
    idontwantMinDataSize: NET_DEFAULTS.maxGossipRpcBytes + 1,
    scoreParams: {
      ...(init.loopback === true ? { IPColocationFactorWeight: 0 } : {}),
      topics: {
        [RECORDS_TOPIC]: createTopicScoreParams({
          topicWeight: 1,
          timeInMeshQuantum: 1000,
          // No penalty for quiet mesh peers: a federation may be silent for hours.
          meshMessageDeliveriesWeight: 0,
          meshFailurePenaltyWeight: 0,
          invalidMessageDeliveriesWeight: NET_DEFAULTS.invalidMessageWeight,
          invalidMessageDeliveriesDecay: NET_DEFAULTS.invalidMessageDecay
        })
      }
    }
  }) as unknown as (components: GossipSubComponents) => AccordGossip

  const node = await createLibp2p<AccordServices>({
    // Started by the Network once its gater, validator and handlers are in place.
    start: false,
    privateKey,
    addresses: {
      listen: init.listen,
      ...(init.announce != null && init.announce.length > 0 ? { announce: init.announce } : {}),
      // Listening on 0.0.0.0 includes 127.0.0.1: not announced to other hosts (addresses.ts).
      ...(init.loopback !== true ? { announceFilter: (addrs: Multiaddr[]) => reachableFromElsewhere(addrs) } : {})
    },
    transports: [transport === 'memory' ? memory({ latency: init.memoryLatencyMs ?? 0 }) : tcp()],
    connectionEncrypters: [noise({ crypto: sodiumNoiseCrypto })],
    // Its keep-alive ping only logs when no answer comes; link-liveness.ts pings instead, and acts.
    streamMuxers: [yamux({ enableKeepAlive: false })],
    connectionGater: membersOnlyGater(init),
    connectionManager: {
      // Loopback demos and tests dial many peers at once from one IP: without the allow list the
      // inbound rate limiter (5/s per host) resets those dials.
      ...(init.loopback === true ? { allow: ['/ip4/127.0.0.1'] } : {}),
      maxConnections: 300,
      dialTimeout: 5_000
    },
    // libp2p's connection monitor pings every connection every 10 s on a new stream (stream open,
    // protocol negotiation, close): at 25 nodes a process that was a burst of ~150 streams that
    // stalled gossip for ~100 ms each time. Under CPU load its pings also time out, and aborting the
    // connection then loses messages. Liveness comes instead from yamux's keep-alive pings (one
    // frame on the open connection) and TCP keep-alive, both on by default.
    connectionMonitor: { enabled: false },
    // preserveExistingMetrics off: @libp2p/prometheus-metrics keeps its metrics in one map per
    // process, so with it on, the first node's registry got every later node's libp2p metrics and
    // theirs none (drills and tests run many nodes in one process). Off, each node registers its
    // own in its own registry; the clear it makes of prom-client's global registry touches nothing
    // of Accord's, whose metrics live in each node's registry (src/node/metrics.ts).
    ...(init.metricsRegistry != null ? { metrics: prometheusMetrics({ registry: init.metricsRegistry, collectDefaultMetrics: false, preserveExistingMetrics: false }) } : {}),
    services: { identify: identify(), ping: ping(), pubsub }
  })
  if (init.quiet != null) heartbeatsWhenQuiet(node.services.pubsub, init.quiet)
  exchangePeersWhenStarved(node.services.pubsub)
  return node
}
