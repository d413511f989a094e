/**
 * The network room's one entry: a member's libp2p node carrying its ledger's records by gossip
 * and catch-up sync, admitting only roster members.
 */
import type { Registry } from 'prom-client'
import { multiaddr } from '@multiformats/multiaddr'
import type { Ledger } from '../store/ledger.ts'
import type { Admission, Roster } from '../records/index.ts'
import { createAccordLibp2p, type AccordLibp2p } from './libp2p-node.ts'
import { RecordGossip } from './gossip.ts'
import { SyncScheduler, type QuietGate } from './sync-scheduler.ts'
import { Dialer } from './dialer.ts'
import { memberPeerId } from './peer-ids.ts'
import { AddressBook } from './address-book.ts'
import { askStatus, serveStatus, STATUS_PROTOCOL, type PeerStatusAnswer } from './status-protocol.ts'
import { NET_DEFAULTS, RECORDS_TOPIC } from './options.ts'
import { TwinCheck } from './twin-check.ts'
import { LinkLiveness, type LivenessOptions } from './link-liveness.ts'

/** How long a member link may go without gossip subscription before it is redialled. */
const GOSSIP_WATCHDOG_MS = 20_000
/** A peer refused for not being a member is reported at most once in this long. */
const REFUSAL_REPORT_MS = 10 * 60_000
/** Records younger than this that arrive by sync are passed on by gossip too (see constructor). */
const FRESH_RECORD_MS = 60_000
/** A sync batch of more records than this is a catch-up: not passed on by gossip (see constructor). */
const REGOSSIP_MAX_BATCH = 32

export interface NetworkInit {
  ledger: Ledger
  seed: Uint8Array
  /** @default ['/ip4/127.0.0.1/tcp/0'] */
  listen?: string[]
  announce?: string[]
  /** Multiaddrs with /p2p/<peer id> of members to dial at start and keep. */
  bootstrap?: string[]
  transport?: 'tcp' | 'memory'
  memoryLatencyMs?: number
  /** Peer ids allowed to connect without being members (read-only observers). */
  observers?: string[]
  /** Where to keep members' last known addresses across restarts (see AddressBook); none if not given. */
  addressBook?: string
  /** @default true when every listen address is loopback or memory */
  loopback?: boolean
  /** Every verdict gossip reaches, with the peer that sent it. */
  onVerdict?: (admission: Admission, peer: string) => void
  /** A prom-client registry for libp2p's own metrics. */
  metricsRegistry?: Registry
  /** A member link without gossip for this long is redialled. @default 20000 */
  gossipWatchdogMs?: number
  /** Periodic sync rounds wait for a quiet moment of the process (between records), if given. */
  quiet?: QuietGate
  /** Member links to keep when addresses are known. @default NET_DEFAULTS.minPeers */
  minPeers?: number
  /** Mean ms between periodic sync rounds with a random member. @default NET_DEFAULTS.syncEveryMs */
  syncEveryMs?: number
  /** Told when the gate refuses a peer that is not a member (at most once per peer in 10 minutes). */
  onRefused?: (peer: string) => void
  /** Told when a bootstrap member cannot be reached (see DialerInit.onUnreachable). */
  onUnreachable?: (target: string, reason: string, attempts: number) => void
  /** How often links are pinged, and how long one may stay silent before it is closed (link-liveness.ts). */
  liveness?: Omit<LivenessOptions, 'onSilent'>
  /** Told of each link closed because nothing came back on it (a silent partition). */
  onLinkSilent?: (peer: string, silentMs: number) => void
}

export class Network {
  readonly libp2p: AccordLibp2p
  readonly gossip: RecordGossip
  readonly sync: SyncScheduler
  readonly dialer: Dialer
  /** Tells apart two nodes running with one peer's key (twin-check.ts). */
  readonly twins: TwinCheck
  /** Closes links that went silent (link-liveness.ts). */
  readonly liveness: LinkLiveness
  readonly #ledger: Ledger
  readonly #observers: Set<string>
  readonly #book?: AddressBook
  readonly #blocked = new Set<string>()
  /** Each member's latest status answer (see lastSeen). */
  readonly #lastAnswers = new Map<string, { digest: string, at: number }>()
  readonly #watchdogMs: number
  #watchdog?: NodeJS.Timeout
  #memberPeers?: { roster: Roster, ids: Map<string, string> }

  private constructor (libp2p: AccordLibp2p, init: NetworkInit) {
    this.libp2p = libp2p
    this.#ledger = init.ledger
    this.#observers = new Set(init.observers ?? [])
    if (init.addressBook != null) this.#book = new AddressBook(init.addressBook, libp2p, () => [...this.#memberPeerMap().keys()].filter(p => p !== libp2p.peerId.toString()))
    this.#watchdogMs = init.gossipWatchdogMs ?? GOSSIP_WATCHDOG_MS
    this.twins = new TwinCheck(libp2p)
    this.liveness = new LinkLiveness(libp2p, { ...init.liveness, ...(init.onLinkSilent != null ? { onSilent: init.onLinkSilent } : {}) })
    this.gossip = new RecordGossip(libp2p, init.ledger, {
      onGap: peer => { void this.sync.request(peer, 'gap') },
      ...(init.onVerdict != null ? { onVerdict: init.onVerdict } : {})
    })
    this.sync = new SyncScheduler(libp2p, init.ledger, peer => this.memberOf(peer) != null, {
      // Observers read: they may ask for rounds (and catch up), members never ask them.
      mayAsk: peer => this.memberOf(peer) != null || this.#observers.has(peer),
      selfIsMember: () => this.memberOf(this.libp2p.peerId.toString()) != null,
      originOf: peer => this.memberOf(peer),
      ...(init.quiet != null ? { quiet: init.quiet } : {}),
      ...(init.syncEveryMs != null ? { everyMs: init.syncEveryMs } : {})
    })
    // An equivocation's proof must reach everyone, but gossip drops the second record as a
    // duplicate seq: push the proof by sync to every connected member at once.
    init.ledger.on('equivocation', () => {
      for (const c of this.libp2p.getConnections()) void this.sync.request(c.remotePeer.toString(), 'cascade')
    })
    // A member admitted by vote: dial and sync with everyone again (it may be waiting to be let in).
    // A member removed: its links close now (the gate refuses its new ones from the same moment).
    init.ledger.on('membership', () => {
      for (const c of this.libp2p.getConnections()) {
        const peer = c.remotePeer.toString()
        if (this.memberOf(peer) == null && !this.#observers.has(peer)) void c.close().catch(() => { c.abort(new Error('not a member any more')) })
      }
      void this.dialer.topUp()
      this.dialer.redialAll()
    })
    // A fresh record that reached us by sync rather than gossip (sync raced gossip, or a partition
    // just healed) is handed to gossip: once held, the gossip copies are ignored here and not
    // forwarded, so without this the record would stop spreading through this node.
    // Not a bulk batch, though: those are a catch-up (a node back after an absence, a healed
    // partition), which cascading sync rounds spread, and a node catching up over a slow link
    // spent its uplink re-gossiping what every peer held (2.35 MB at 512 kbit/s, in a walk).
    this.sync.on('admitted', (admissions, records) => {
      if (admissions.length > REGOSSIP_MAX_BATCH) return
      const fresh = Date.now() - FRESH_RECORD_MS
      admissions.forEach((a, i) => {
        const bytes = records[i]
        if (a.verdict === 'accept' && a.record != null && a.record.time > fresh && bytes != null) void this.gossip.publish(bytes).catch(() => 0)
      })
    })
    // A sync round told us where more members listen (the dialer also tops up every 5 s).
    this.sync.on('learnt', () => { void this.dialer.topUp() })
    this.dialer = new Dialer(libp2p, {
      bootstrap: init.bootstrap ?? [],
      isMember: peer => this.memberOf(peer) != null,
      blocked: peer => this.#blocked.has(peer),
      allLinked: () => {
        const linked = new Set(this.#connectedMemberPeers())
        return [...this.#memberPeerMap().keys()].every(p => p === this.peerId || linked.has(p))
      },
      ...(init.minPeers != null ? { minPeers: init.minPeers } : {}),
      ...(init.onUnreachable != null ? { onUnreachable: init.onUnreachable } : {})
    })
  }

  static async create (init: NetworkInit): Promise<Network> {
    const listen = init.listen ?? ['/ip4/127.0.0.1/tcp/0']
    const loopback = init.loopback ?? listen.every(a => a.startsWith('/ip4/127.') || a.startsWith('/memory/'))
    let self: Network | undefined
    const allowed = (peer: string): boolean => self != null && (self.memberOf(peer) != null || self.#observers.has(peer))
    const reported = new Map<string, number>()
    const refused = (peer: string): void => {
      const now = Date.now()
      if (init.onRefused == null || now - (reported.get(peer) ?? -Infinity) < REFUSAL_REPORT_MS) return
      if (reported.size > 1024) reported.clear()
      reported.set(peer, now)
      init.onRefused(peer)
    }
    const libp2p = await createAccordLibp2p({
      seed: init.seed,
      listen,
      ...(init.announce != null ? { announce: init.announce } : {}),
      transport: init.transport ?? 'tcp',
      ...(init.memoryLatencyMs != null ? { memoryLatencyMs: init.memoryLatencyMs } : {}),
      loopback,
      ...(init.metricsRegistry != null ? { metricsRegistry: init.metricsRegistry } : {}),
      ...(init.quiet != null ? { quiet: init.quiet } : {}),
      allowed,
      refused,
      blocked: peer => self != null && self.#blocked.has(peer),
      crossing: peer => self != null && self.#crossing(peer)
    })
    self = new Network(libp2p, init)
    return self
  }

  /**
   * Two members that dial each other at about the same moment (both starting, or both redialling
   * after a cut) each accepted the other's link and kept both for ever: in a demo federation of
   * five, three nodes held two links with some member. The link dialled by the member with the
   * lower peer id is the one kept, decided on each side with nothing said between them:
   * - the lower side turns away the higher side's inbound link while its own dial to it is under
   *   way (for a few seconds only: a dial hanging on a dead address does not keep a working link
   *   out for long) or its own link to it opened in the last few seconds;
   * - the higher side never turns a link away on this count, so the lower side's link is always
   *   let in and the two never refuse each other's links both (a dialler may count a link as
   *   open before the other side has let it in, so "a link is already open" alone would not do);
   * - either side, having let in a member's link, does not dial that member for a few seconds
   *   (see Dialer.inboundLetIn): its own dial would cross the link being set up.
   * A dial turned away fails; the Dialer, finding the member linked, counts no failure.
   */
  #crossing (peer: string): boolean {
    if (this.peerId < peer) {
      const ms = this.dialer.dialingFor(peer)
      if (ms != null && ms < NET_DEFAULTS.crossingDialMs) return true
      const now = Date.now()
      if (this.libp2p.getConnections().some(c => c.status === 'open' && c.direction === 'outbound' && c.remotePeer.toString() === peer && now - c.timeline.open < NET_DEFAULTS.crossingLinkMs)) return true
    }
    this.dialer.inboundLetIn(peer)
    return false
  }

  get peerId (): string { return this.libp2p.peerId.toString() }
  get multiaddrs (): string[] { return this.libp2p.getMultiaddrs().map(a => a.toString()) }

  /**
   * The member id behind a peer id, if it is a member now under the ledger's roster (a removed
   * member's records up to its last valid seq stay, but its node is no longer let in).
   */
  memberOf (peer: string): string | undefined {
    return this.#memberPeerMap().get(peer)
  }

  /** Peer id → member id for the current members (this node's own included, if it is one); rebuilt when the roster changes. */
  #memberPeerMap (): Map<string, string> {
    const roster = this.#ledger.roster
    if (this.#memberPeers?.roster !== roster) {
      this.#memberPeers = { roster, ids: new Map(roster.list().filter(m => m.until == null).map(m => [memberPeerId(m), m.id])) }
    }
    return this.#memberPeers.ids
  }

  /** Peer ids of members with an open connection. */
  #connectedMemberPeers (): string[] {
    return [...new Set(this.libp2p.getConnections().filter(c => c.status === 'open').map(c => c.remotePeer.toString()))].filter(p => this.memberOf(p) != null)
  }

  /** Member ids with an open connection. */
  connectedMembers (): string[] {
    return this.#connectedMemberPeers().map(p => this.memberOf(p) as string).sort()
  }

  async start (): Promise<void> {
    if (this.libp2p.status !== 'started') await this.libp2p.start()
    const fromBook = await this.#book?.load() ?? 0
    this.#book?.start()
    this.gossip.start()
    await serveStatus(this.libp2p, this.#ledger, peer => this.memberOf(peer) != null || this.#observers.has(peer))
    await this.sync.start()
    await this.twins.start()
    await this.dialer.start()
    this.liveness.start()
    // Members found in the address book are dialed now, not at the next top-up.
    if (fromBook > 0) void this.dialer.topUp()
    this.#watchdog = setInterval(() => { this.repairSilentLinks() }, this.#watchdogMs)
    this.#watchdog.unref()
  }

  /**
   * If identify fails on a link (it times out under heavy load), gossipsub never learns the peer
   * and never retries: records would cross that link only by periodic sync. A member linked for
   * a while (`minAgeMs`) but still not a gossip subscriber gets its connection closed, and so
   * redialled. Returns how many links it closed.
   */
  repairSilentLinks (minAgeMs = this.#watchdogMs): number {
    const subscribers = new Set(this.libp2p.services.pubsub.getSubscribers(RECORDS_TOPIC).map(p => p.toString()))
    let closed = 0
    for (const c of this.libp2p.getConnections()) {
      const peer = c.remotePeer.toString()
      if (c.status !== 'open' || subscribers.has(peer) || this.memberOf(peer) == null) continue
      if (Date.now() - c.timeline.open < minAgeMs) continue
      closed++
      void c.close().catch(() => c.abort(new Error('no gossip on this link')))
    }
    return closed
  }

  async stop (): Promise<void> {
    if (this.#watchdog != null) clearInterval(this.#watchdog)
    this.liveness.stop()
    await this.#book?.stop()
    this.dialer.stop()
    await this.sync.stop()
    await this.twins.stop()
    await this.libp2p.unhandle(STATUS_PROTOCOL)
    this.gossip.stop()
    await this.libp2p.stop()
  }

  /**
   * Publishes a record already durably in the ledger, by gossip. If no peer took it (links still
   * opening their gossip streams, or none open), every connected member is offered a sync round now, so the record
   * does not wait for the next periodic round; members that connect later get it from the round
   * every new link runs.
   */
  async publish (bytes: Uint8Array): Promise<number> {
    const sent = await this.gossip.publish(bytes).catch(() => 0)
    if (sent === 0) for (const peer of this.#connectedMemberPeers()) void this.sync.request(peer, 'manual')
    return sent
  }

  /**
   * The latest digest a member told this node, from a status answer or a sync hello, whichever
   * came last, and when: what the view shows for a member that does not answer now.
   */
  lastSeen (peer: string): { digest: string, at: number } | undefined {
    const answer = this.#lastAnswers.get(peer)
    const hello = this.sync.views.get(peer)
    const fromHello = hello != null ? { digest: hello.hello.digest, at: hello.at } : undefined
    if (answer == null) return fromHello
    return fromHello != null && fromHello.at > answer.at ? fromHello : answer
  }

  /**
   * Asks every connected member for its digest now. A member that differs from us is also
   * offered a sync round (subject to the usual per-peer limits).
   */
  async peerStatuses (): Promise<Map<string, PeerStatusAnswer>> {
    const ours = this.#ledger.digest()
    const peers = this.#connectedMemberPeers()
    const answers = await Promise.all(peers.map(async p => [p, await askStatus(this.libp2p, p)] as const))
    const out = new Map<string, PeerStatusAnswer>()
    for (const [peer, answer] of answers) {
      if (answer == null) continue
      out.set(peer, answer)
      this.#lastAnswers.set(peer, { digest: answer.digest, at: Date.now() })
      if (answer.digest !== ours) void this.sync.request(peer, 'periodic')
    }
    return out
  }

  async dial (addr: string): Promise<void> {
    await this.libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(5_000) })
  }

  /** Cuts this node off from `peers` (drills, partition tests) until `unblock`. */
  async block (peers: string[]): Promise<void> {
    for (const p of peers) this.#blocked.add(p)
    await Promise.all(this.libp2p.getConnections().filter(c => this.#blocked.has(c.remotePeer.toString())).map(async c => { await c.close().catch(() => c.abort(new Error('blocked'))) }))
  }

  unblock (peers?: string[]): void {
    if (peers == null) this.#blocked.clear()
    else for (const p of peers) this.#blocked.delete(p)
    this.dialer.redialAll()
  }
}
