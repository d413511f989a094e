/**
 * The network's defaults in one place, each with the reason for its value.
 */
export const RECORDS_TOPIC = 'accord/records/1'
export const SYNC_PROTOCOL = '/accord/sync/1.0.0'

export const NET_DEFAULTS = {
  /** A record is ≤ 64 KiB; a gossip RPC may carry a few plus control data. Same on every node:
   * a peer that receives an RPC over its limit stops reading that sender's gossip for good. */
  maxGossipRpcBytes: 1024 * 1024,
  /** Sync frames: a record (≤ 64 KiB) or a hello carrying a vector of ~200 chains. */
  maxSyncFrameBytes: 256 * 1024,
  /** Records per admitted batch during sync: one transaction each. */
  syncBatchRecords: 256,
  /** Most records one sync round sends per origin before the next round continues. */
  syncMaxRecordsPerRound: 50_000,
  /** A whole sync round must finish within this (a day of records fits easily). */
  syncTimeoutMs: 60_000,
  /** A bulk round (≥ 1,000 records either way) must finish within this: 50,000 records of 1 KiB over 1 Mbit/s. */
  syncBulkTimeoutMs: 10 * 60_000,
  /** A sync round must make progress (a frame read or written) at least this often. */
  syncStepTimeoutMs: 10_000,
  /** Fewest ms between two syncs with one peer, unless a gap asks for one. */
  syncMinIntervalMs: 2_000,
  /** Periodic anti-entropy with a random connected member. */
  syncEveryMs: 15_000,
  /** Redial lost members with exponential backoff between these bounds. */
  redialMinMs: 500,
  redialMaxMs: 30_000,
  /** On the side with the lower peer id: an inbound link from a member this node dialled a link to this recently crossed it, and is turned away (Network#crossing). */
  crossingLinkMs: 5_000,
  /** On the side with the lower peer id: an inbound link from a member this node is dialling (for at most this long) is turned away; on either side, no dial to a member for this long after its link was let in (Network#crossing). */
  crossingDialMs: 3_000,
  /** Keep at least this many member connections when addresses are known. */
  minPeers: 4,
  /**
   * Gossipsub mesh degree: each record is pushed to D mesh peers and every extra copy a node
   * receives is pure cost (a frame to encrypt, send, decrypt, parse and drop). Gossipsub's
   * defaults (D 6, 4..12) defend open networks against Sybil peers; here every peer is an
   * authenticated member behind the gate, and what a thin mesh misses, gossip's IHAVE and sync
   * still deliver. Measured at 50 nodes: D 6 → 3 cut copies received per delivery 4.5 → 2.5 and
   * CPU per delivery by 15 %; a mesh of 2–4 peers (Dlo 2, Dhi 4, instead of 3–5) cut CPU per
   * delivery by another 11 % and the median time to all nodes by 14 % (two processes, three
   * interleaved pairs), since on two cores time-to-all is mostly CPU. Dhi stays above D: with
   * Dhi = D = 3 a node that grafts onto full neighbours is pruned at once and may not graft them
   * again for the minute of prune backoff — in two of three 50-node runs over four processes some
   * node still had one mesh peer after 60 s. A mesh of two still gives every record a second path,
   * and each heartbeat sends IHAVE gossip to the other peers. A node whose neighbours are all at
   * Dhi finds room through peer exchange (peer-exchange.ts).
   */
  mesh: { D: 3, Dlo: 2, Dhi: 4, Dout: 1, Dscore: 2 },
  /**
   * Peers outside the mesh that each heartbeat's IHAVE gossip goes to (gossipsub's Dlazy; its
   * default 6 means every non-mesh peer here). IHAVE is lazy repair for what the mesh missed,
   * and sync repairs that too (on the next record from that origin, or within ~15 s): one peer
   * a heartbeat is enough. Counted at 50 nodes: IHAVE was 18 % of all gossip frames a node sent
   * (3,496 IHAVE against 16,330 record frames in a run), 7 % with one peer (1,149); every frame
   * costs an encryption, a socket write and a parse on the other side like a record's does.
   * CPU per delivery: 1.34 → 1.21 ms in three interleaved pairs in two processes (lower in each),
   * −7 % over seven pairs in one process; delivery stayed 100 %.
   */
  lazyGossipPeers: 1,
  /** Peer exchange (peer-exchange.ts): peers a PRUNE offers, and how many of them a node that
   * is short of mesh peers dials. */
  pxOffered: 6,
  pxDialsPerPrune: 2,
  /** Gossipsub score: each invalid message weighs -10 (squared), decaying by 0.9 per heartbeat,
   * so three forgeries cross the gossip threshold (-10) and ten the graylist (-80). */
  invalidMessageWeight: -10,
  invalidMessageDecay: 0.9
} as const
