/**
 * Peer exchange for a node the mesh has no room for.
 *
 * Gossipsub refuses a GRAFT from a peer that dialed it when its mesh is already at Dhi (a
 * defence against mesh takeover), answers with a PRUNE and will not hear from that peer again
 * for the minute of prune backoff. A mesh stays anywhere between D and Dhi, so in a sparse
 * federation many nodes sit at Dhi; a node whose every link it dialed itself, to neighbours
 * that are all full, is refused by all of them, again each minute, and never joins the mesh:
 * it gets records only through IHAVE gossip and sync. Measured in the `un-193` drill (193 nodes,
 * each dialing three or four, mesh 2–4): 86 nodes at Dhi and three nodes with four links each,
 * every neighbour full, no mesh peer after five minutes.
 *
 * Gossipsub's own answer is peer exchange (PX): a PRUNE lists some of the pruner's other peers,
 * with their signed peer records (learnt through identify), and the pruned node dials them.
 * Here PX is on, but taken only by a node that needs it — fewer than Dlo mesh peers — and then
 * only `pxDialsPerPrune` of the offered peers, so a healthy node's connections never grow from
 * it. The offered peers are the pruner's subscribed members (the gater refuses anyone else),
 * and a member accepts PX from any peer whose score is not negative.
 */
import { NET_DEFAULTS, RECORDS_TOPIC } from './options.ts'

interface PxPeer { peerID?: Uint8Array, signedPeerRecord?: Uint8Array }
interface PxCapable {
  pxConnect?: (peers: PxPeer[]) => Promise<void>
  mesh?: Map<string, Set<string>>
}

/** Gossipsub options that turn peer exchange on (see the module comment). */
export const PEER_EXCHANGE_OPTIONS = {
  doPX: true,
  /** Peers a PRUNE offers. */
  prunePeers: NET_DEFAULTS.pxOffered,
  /** Scores here are 0 unless a peer misbehaved (no delivery rewards): accept PX from any not penalised. */
  scoreThresholds: { acceptPXThreshold: 0 }
} as const

/**
 * Makes `pubsub` dial offered peers only while its records mesh has fewer than `dlo` peers, and
 * at most `dials` of them per PRUNE, in the background. Returns false if gossipsub's shape changed (nothing done).
 */
export function exchangePeersWhenStarved (pubsub: unknown, dlo: number = NET_DEFAULTS.mesh.Dlo, dials: number = NET_DEFAULTS.pxDialsPerPrune): boolean {
  const gs = pubsub as PxCapable
  const connect = gs.pxConnect
  if (typeof connect !== 'function' || !(gs.mesh instanceof Map)) return false
  gs.pxConnect = async (peers: PxPeer[]) => {
    const mesh = gs.mesh?.get(RECORDS_TOPIC)
    if (mesh == null || mesh.size >= dlo) return
    const offered = [...peers]
    for (let i = offered.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1))
      ;[offered[i], offered[j]] = [offered[j] as PxPeer, offered[i] as PxPeer]
    }
    // In the background: the rest of the PRUNE's RPC is not held up by the dials, and a dial the
    // gate refuses (a member cut off in a drill) or that times out is simply not taken.
    connect.call(gs, offered.slice(0, dials)).catch(() => undefined)
  }
  return true
}
