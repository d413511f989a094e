/**
 * When to sync, and with whom: on every new connection to a member, when gossip reveals a gap,
 * and periodically with a random connected member. One round at a time per peer; a request
 * that arrives during a round is folded into one more round after it; periodic rounds with one
 * peer are at least `syncMinIntervalMs` apart. Inbound rounds are limited the same way.
 *
 * Records fetched by sync are not gossiped again (a day of catch-up would flood everyone), so a
 * round that brought new records asks the node's other peers for a round too ('cascade'): after a
 * partition heals, the news crosses the bridge and then spreads hop by hop, each hop one round.
 * It stops by itself: a round that brings nothing new cascades no further.
 */
import { EventEmitter } from 'node:events'
import type { Connection, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Ledger } from '../store/ledger.ts'
import type { Admission } from '../records/index.ts'
import type { AccordLibp2p } from './libp2p-node.ts'
import { runSync, SyncBusyError, type Hello, type SyncOptions, type SyncResult } from './sync-protocol.ts'
import { sharedVerifyPool } from '../store/verify-pool.ts'
import { NET_DEFAULTS, SYNC_PROTOCOL } from './options.ts'
import { peerAddressFilter } from './addresses.ts'

const DIRECTORY_TTL_MS = 5_000
/** Longest the round on a new link waits for identify (see #identified). */
const IDENTIFY_WAIT_MS = 2_000
/** A periodic round (or a cascade) waits at most this long for a quiet moment. */
const PERIODIC_QUIET_WAIT_MS = 1_000

/**
 * The process's quiet moments (between records): periodic rounds are not urgent, and one run
 * while a record is on its way adds its few milliseconds of CPU to that record's path.
 */
export interface QuietGate {
  /** Resolves at the next quiet moment, or after `maxWaitMs` at the latest. */
  whenQuiet: (maxWaitMs: number) => Promise<void>
}

export type SyncReason = 'connect' | 'gap' | 'periodic' | 'manual' | 'cascade' | 'more'

export interface PeerView { hello: Hello, at: number }

export interface SyncEvents {
  synced: [peer: string, result: SyncResult, direction: 'outbound' | 'inbound']
  failed: [peer: string, error: Error]
  admitted: [admissions: Admission[], records: Uint8Array[]]
  /** A peer's hello told us where members we are not connected to listen. */
  learnt: [peers: number]
  /** A peer's hello, read at the start of a round (its vector: how far it holds each chain). */
  hello: [peer: string, hello: Hello]
}

interface PeerState { running?: Promise<SyncResult | undefined>, again: boolean, last: number, inbound: boolean }

export class SyncScheduler extends EventEmitter<SyncEvents> {
  readonly #libp2p: AccordLibp2p
  readonly #ledger: Ledger
  readonly #isMember: (peer: string) => boolean
  readonly #quiet?: QuietGate
  readonly #everyMs: number
  readonly #peers = new Map<string, PeerState>()
  readonly #inboundRounds = new Set<Promise<void>>()
  /** The latest hello of every peer we synced with: its digest and vector. */
  readonly views = new Map<string, PeerView>()
  #timer?: NodeJS.Timeout
  #directoryCache?: { key: string, at: number, value: Record<string, string[]> }
  /** Addresses already merged into the peer store, per peer, from earlier hellos. */
  readonly #learnt = new Map<string, string>()
  #stopping = new AbortController()
  /** Chains a bulk round is bringing now (see SyncOptions.claim), and the peers to sync with once they are in. */
  readonly #claimed = new Set<string>()
  readonly #waiting = new Set<string>()
  rounds = 0
  recordsFetched = 0

  /** Who may ask this node for a round: members, and observers (read-only peers). */
  readonly #mayAsk: (peer: string) => boolean
  /** Whether this node counts itself a member (an observer, or a member not admitted yet in its own records, does not). */
  readonly #selfIsMember: () => boolean
  /** A peer's member id, if it is one (its own chain goes first in a round). */
  readonly #originOf?: (peer: string) => string | undefined

  /**
   * `quiet`: periodic rounds wait for its quiet moments; `everyMs`: their mean period; `mayAsk`:
   * who may start a round with this node (default: members); `selfIsMember`: see #onConnect.
   */
  constructor (libp2p: AccordLibp2p, ledger: Ledger, isMember: (peer: string) => boolean, opts: { quiet?: QuietGate, everyMs?: number, mayAsk?: (peer: string) => boolean, selfIsMember?: () => boolean, originOf?: (peer: string) => string | undefined } = {}) {
    super()
    this.#libp2p = libp2p
    this.#ledger = ledger
    this.#isMember = isMember
    this.#mayAsk = opts.mayAsk ?? isMember
    this.#selfIsMember = opts.selfIsMember ?? (() => true)
    if (opts.originOf != null) this.#originOf = opts.originOf
    if (opts.quiet != null) this.#quiet = opts.quiet
    this.#everyMs = opts.everyMs ?? NET_DEFAULTS.syncEveryMs
  }

  async start (): Promise<void> {
    this.#stopping = new AbortController()
    await this.#libp2p.handle(SYNC_PROTOCOL, async (stream: Stream, connection: Connection) => {
      const round = this.#inbound(stream, connection)
      this.#inboundRounds.add(round)
      try { await round } finally { this.#inboundRounds.delete(round) }
    }, { maxInboundStreams: 4, maxOutboundStreams: 4 })
    this.#libp2p.addEventListener('peer:connect', this.#onConnect)
    this.#schedulePeriodic()
  }

  /**
   * The next periodic round, at a random point between half and one and a half periods away:
   * nodes started together (a federation restarting, a test, a bench) would otherwise all sync
   * at the same instants, and their rounds would queue behind each other.
   */
  #schedulePeriodic (): void {
    if (this.#stopping.signal.aborted) return
    this.#timer = setTimeout(() => { void this.#periodic(); this.#schedulePeriodic() }, this.#everyMs * (0.5 + Math.random()))
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    this.#stopping.abort(new Error('node stopping'))
    if (this.#timer != null) clearTimeout(this.#timer)
    this.#libp2p.removeEventListener('peer:connect', this.#onConnect)
    await this.#libp2p.unhandle(SYNC_PROTOCOL)
    await Promise.allSettled([...[...this.#peers.values()].map(async p => await p.running), ...this.#inboundRounds])
  }

  /** Asks for a round with `peer`; resolves when it (or the round it was folded into) ends. */
  async request (peer: string, reason: SyncReason): Promise<SyncResult | undefined> {
    if (!this.#isMember(peer) || this.#stopping.signal.aborted) return undefined
    const state = this.#state(peer)
    if (state.running != null) {
      if (reason !== 'periodic') state.again = true
      return await state.running
    }
    if (reason === 'periodic' && Date.now() - state.last < NET_DEFAULTS.syncMinIntervalMs) return undefined
    state.running = this.#loop(peer, state)
    try {
      return await state.running
    } finally {
      state.running = undefined
    }
  }

  async #loop (peer: string, state: PeerState): Promise<SyncResult | undefined> {
    let result: SyncResult | undefined
    do {
      state.again = false
      state.last = Date.now()
      result = await this.#outbound(peer)
    } while (state.again && result != null && !this.#stopping.signal.aborted)
    return result
  }

  async #outbound (peer: string): Promise<SyncResult | undefined> {
    const connection = this.#libp2p.getConnections().find(c => c.remotePeer.toString() === peer && c.status === 'open')
    if (connection == null) return undefined
    try {
      const stream = await connection.newStream(SYNC_PROTOCOL, { signal: AbortSignal.any([this.#stopping.signal, AbortSignal.timeout(NET_DEFAULTS.syncStepTimeoutMs)]) })
      const result = await runSync(stream, this.#ledger, await this.#roundOptions(peer))
      await this.#learn(result.peer.members)
      this.#record(peer, result, 'outbound')
      return result
    } catch (err) {
      this.#failed(peer, err as Error)
      return undefined
    }
  }

  async #inbound (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const state = this.#state(peer)
    if (!this.#mayAsk(peer)) { stream.abort(new Error('members and observers only')); return }
    if (state.inbound) {
      // Rate limit: one inbound round per peer at a time.
      stream.abort(new Error('a sync round with this peer is already running'))
      return
    }
    state.inbound = true
    try {
      const result = await runSync(stream, this.#ledger, await this.#roundOptions(peer))
      await this.#learn(result.peer.members)
      this.#record(peer, result, 'inbound')
    } catch (err) {
      this.#failed(peer, err as Error)
    } finally {
      state.inbound = false
    }
  }

  /**
   * Where the members this node is connected to listen (as identify told us). Kept for a few
   * seconds: every round sends it, and reading the peer store for each peer each time showed
   * up in profiles at 50 nodes. Kept only when it names every connected member: a member whose
   * identify has not finished yet would otherwise be left out of every round for those seconds,
   * and a newcomer would learn of it only at a periodic round (8–17 s later, measured).
   */
  async #directory (): Promise<Record<string, string[]>> {
    const connected = this.#connectedMembers().slice(0, 64)
    const key = connected.join(',')
    if (this.#directoryCache != null && this.#directoryCache.key === key && Date.now() - this.#directoryCache.at < DIRECTORY_TTL_MS) return this.#directoryCache.value
    const out: Record<string, string[]> = {}
    const keep = peerAddressFilter(this.#libp2p.getMultiaddrs())
    for (const peer of connected) {
      try {
        const known = await this.#libp2p.peerStore.get(peerIdFromString(peer))
        const addrs = known.addresses.map(a => a.multiaddr.toString()).filter(keep).slice(0, 8)
        if (addrs.length > 0) out[peer] = addrs
      } catch {}
    }
    if (Object.keys(out).length === connected.length) this.#directoryCache = { key, at: Date.now(), value: out }
    return out
  }

  /**
   * Learns where other members listen from a peer's hello (members only, bounded). Peers we are
   * connected to and addresses already learnt are skipped: the peer store write is the costly part.
   */
  async #learn (members: Record<string, string[]> | undefined): Promise<void> {
    if (members == null || typeof members !== 'object') return
    let learnt = 0
    const connected = new Set(this.#connectedMembers())
    const keep = peerAddressFilter(this.#libp2p.getMultiaddrs())
    for (const [peer, addrs] of Object.entries(members).slice(0, 256)) {
      if (peer === this.#libp2p.peerId.toString() || connected.has(peer) || !this.#isMember(peer) || !Array.isArray(addrs)) continue
      // A peer's loopback address is its own host's: of no use here unless this node, too, has
      // only such addresses (one machine). Older nodes still share them (addresses.ts).
      const list = addrs.slice(0, 8).filter((a): a is string => typeof a === 'string' && keep(a))
      if (list.length === 0) continue
      const key = list.join(' ')
      if (this.#learnt.get(peer) === key) continue
      try {
        await this.#libp2p.peerStore.merge(peerIdFromString(peer), { multiaddrs: list.map(a => multiaddr(a)) })
        this.#learnt.set(peer, key)
        learnt++
      } catch {}
    }
    if (learnt > 0) this.emit('learnt', learnt)
  }

  #record (peer: string, result: SyncResult, direction: 'outbound' | 'inbound'): void {
    this.rounds++
    this.recordsFetched += result.accepted
    this.views.set(peer, { hello: result.peer, at: Date.now() })
    this.emit('synced', peer, result, direction)
    if (result.accepted > 0) void this.#cascade(peer)
    // The other side stopped at its per-round bound: it holds more for us, so another round now,
    // not at the next periodic one (a busy day after a lost store is more than one round).
    if (result.received >= NET_DEFAULTS.syncMaxRecordsPerRound) void this.request(peer, 'more')
  }

  /**
   * Asks every other connected member for a round, at the process's next quiet moment: a cascade
   * carries news to peers that may lack it, which is not urgent to the millisecond. Under load a
   * periodic round sometimes wins the race against gossip for a record in flight, and its
   * cascade then started five rounds at once while records were on their way (seen at 50 nodes:
   * 36–38 ms rounds in the middle of a record's path).
   */
  async #cascade (from: string): Promise<void> {
    await this.#quiet?.whenQuiet(PERIODIC_QUIET_WAIT_MS)
    if (this.#stopping.signal.aborted) return
    for (const other of this.#connectedMembers()) if (other !== from) void this.request(other, 'cascade')
  }

  #state (peer: string): PeerState {
    let state = this.#peers.get(peer)
    if (state == null) this.#peers.set(peer, state = { again: false, last: 0, inbound: false })
    return state
  }

  #onConnect = (evt: CustomEvent<{ toString: () => string }>): void => {
    const peer = evt.detail.toString()
    // Only the side with the smaller peer id starts the round, so a new link runs one, not two;
    // but a member never starts one with a node it does not count as a member (an observer, a
    // member admitted after its records end), so such a node always starts.
    if (this.#libp2p.peerId.toString() < peer || !this.#selfIsMember()) void this.#identified(peer).then(async () => await this.request(peer, 'connect'))
  }

  /**
   * Resolves once identify has run with `peer` (or after IDENTIFY_WAIT_MS). The round on a new
   * link waits for it: each side's hello names the members it knows the addresses of, and a
   * member that linked a moment before is known only once identify with it is done. Run at
   * once, the round of a newcomer linking to a bootstrap member that another member had just
   * reached told it of no one, and it found that member only at a periodic round, 8–17 s later
   * (measured with three nodes on loopback).
   */
  async #identified (peer: string): Promise<void> {
    await new Promise<void>(resolve => {
      const done = (): void => {
        clearTimeout(timer)
        this.#libp2p.removeEventListener('peer:identify', onIdentify)
        this.#stopping.signal.removeEventListener('abort', done)
        resolve()
      }
      const onIdentify = (evt: CustomEvent<{ peerId: { toString: () => string } }>): void => { if (evt.detail.peerId.toString() === peer) done() }
      const timer = setTimeout(done, IDENTIFY_WAIT_MS)
      this.#libp2p.addEventListener('peer:identify', onIdentify)
      this.#stopping.signal.addEventListener('abort', done)
    })
  }

  /** A round that stood down for a bulk round (SyncBusyError) runs again once that one ends; others failed. */
  #failed (peer: string, err: Error): void {
    if (err instanceof SyncBusyError) this.#waiting.add(peer)
    else this.emit('failed', peer, err)
  }

  /**
   * One bulk round at a time per chain (see SyncOptions.claim). When it ends, however it ends, the
   * rounds that stood down run again: their hellos now show what this node holds, so each brings
   * only what is still missing.
   */
  #claim = (origins: string[]): (() => void) | null => {
    if (origins.some(o => this.#claimed.has(o))) return null
    for (const o of origins) this.#claimed.add(o)
    return () => {
      for (const o of origins) this.#claimed.delete(o)
      const waiting = [...this.#waiting]
      this.#waiting.clear()
      for (const peer of waiting) void this.request(peer, 'more')
    }
  }

  /** A round's options with `peer`, either direction. */
  async #roundOptions (peer: string): Promise<SyncOptions> {
    const origin = this.#originOf?.(peer)
    return {
      signal: this.#stopping.signal,
      onAdmitted: (a, r) => this.emit('admitted', a, r),
      onHello: h => this.emit('hello', peer, h),
      claim: this.#claim,
      members: await this.#directory(),
      pool: sharedVerifyPool(),
      ...(origin != null ? { peerOrigin: origin } : {})
    }
  }

  #connectedMembers (): string[] {
    return [...new Set(this.#libp2p.getConnections().filter(c => c.status === 'open').map(c => c.remotePeer.toString()))].filter(this.#isMember)
  }

  async #periodic (): Promise<void> {
    await this.#quiet?.whenQuiet(PERIODIC_QUIET_WAIT_MS)
    const members = this.#connectedMembers()
    const pick = members[Math.floor(Math.random() * members.length)]
    if (pick != null) await this.request(pick, 'periodic')
  }
}
