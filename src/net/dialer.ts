/**
 * Keeps this node connected: dials its bootstrap members at start, redials any member it loses
 * with exponential backoff (with jitter, so a federation restarting together does not dial in
 * lockstep), and tops up to `minPeers` from members whose addresses it learnt (identify).
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { AccordLibp2p } from './libp2p-node.ts'
import { NET_DEFAULTS } from './options.ts'

export interface DialerInit {
  bootstrap: string[]
  isMember: (peer: string) => boolean
  /** Peers not to dial now (partition drills). */
  blocked?: (peer: string) => boolean
  minPeers?: number
  /**
   * Told when a bootstrap member cannot be reached: at the third failure in a row, then every tenth
   * (the redials back off), with the last error. `target` is the peer id or, for an address
   * given without one, the address.
   */
  onUnreachable?: (target: string, reason: string, attempts: number) => void
  /** Whether every other current member is linked now: an address with no peer id then reaches no one new. */
  allLinked?: () => boolean
}

/**
 * How long a failed dial waits before it counts: when two members dial each other at the same
 * moment (a federation starting together), one of the two links is closed while it opens, and
 * its dial fails though the other link is up, or a moment from up. Reported, that was a false
 * "cannot reach" at every cold start (seen in a multi-host walk).
 */
const DIAL_FAILURE_SETTLE_MS = 1_000

/** How long one dial may take (all of a peer's addresses together). */
const DIAL_TIMEOUT_MS = 5_000

/**
 * A link shorter than this, on which identify never finished, counts as a failed dial: a peer
 * whose gate refuses this node (it does not count it as a member: not admitted yet, or removed)
 * lets the connection open and closes it at once, and redialling that at once every time would
 * loop twice a second for ever. A link that got as far as identify was let in: if it closes soon
 * after, the peer stopped or dropped it, which is no refusal.
 */
const STABLE_LINK_MS = 10_000

/**
 * Whether the `attempts`-th failure in a row is worth telling the operator of: the third (~1.5–3.5 s
 * of backoff in), then every tenth. Not the first: a federation starting together has members
 * that are not listening yet for a second, and every cold start logged "cannot reach" for
 * members linked half a second later (seen in a multi-host walk).
 */
const worthTelling = (attempts: number): boolean => attempts === 3 || attempts % 10 === 0
/** The error's own message, without libp2p's stack or wrapping. */
const reasonOf = (err: unknown): string => {
  const name = (err as Error)?.name ?? 'Error'
  // libp2p tries each of a peer's addresses and throws "All multiaddr dials failed" with the
  // errors inside: those say what went wrong (refused, timed out, no route), so they are the reason.
  const inner = (err as AggregateError)?.errors
  if (Array.isArray(inner) && inner.length > 0) {
    const reasons = [...new Set(inner.map(reasonOf))]
    return reasons.length === 1 ? reasons[0] as string : `${inner.length} addresses tried: ${reasons.join('; ')}`
  }
  const text = `${name}: ${(err as Error)?.message ?? String(err)}`
  // The dial's 5 s ran out: nothing answered (a firewall dropping packets, a host down), or the
  // TCP connection opened and then nothing came back (libp2p then says EncryptionFailedError,
  // which is not something else listening there).
  if (name === 'TimeoutError' || /aborted due to timeout/i.test(text)) {
    return name === 'EncryptionFailedError' ? 'TimeoutError: the connection opened, but no handshake came back' : 'TimeoutError'
  }
  // Something answered, but not libp2p's handshake: another service on that port (an HTTP API?).
  if (name === 'EncryptionFailedError' || /multistream|Missing newline|protocol selection/i.test(text)) return `${text} (something listens there, but not an Accord node's P2P port: the API port, or another service?)`
  return text
}

export class Dialer {
  readonly #libp2p: AccordLibp2p
  readonly #init: DialerInit
  /** Peers this node always keeps a link to: its bootstrap members. */
  readonly #keep = new Map<string, Multiaddr[]>()
  /** Bootstrap addresses given without a peer id: dialed until the peer behind them is known. */
  readonly #unnamed: Multiaddr[] = []
  readonly #attempts = new Map<string, number>()
  /** Peers this node is dialling now, and since when. */
  readonly #dialing = new Map<string, number>()
  /** When the gate last let in a link from each peer. */
  readonly #letIn = new Map<string, number>()
  /** Peers whose last link closed right after it opened (see `refusedBy`). */
  readonly #refusedBy = new Set<string>()
  /** When each open link to a peer opened (see STABLE_LINK_MS). */
  readonly #connectedAt = new Map<string, number>()
  /** Peers identify ran with since their link opened: their gate let this node in. */
  readonly #identified = new Set<string>()
  /** Peers whose links keep being cut: not dialled (top-ups included) before this time. */
  readonly #holdUntil = new Map<string, number>()
  readonly #timers = new Map<string, NodeJS.Timeout>()
  #tick?: NodeJS.Timeout
  #running = false

  constructor (libp2p: AccordLibp2p, init: DialerInit) {
    this.#libp2p = libp2p
    this.#init = init
    for (const text of init.bootstrap) {
      const addr = multiaddr(text)
      const peer = addr.getComponents().find(c => c.name === 'p2p')?.value
      if (peer == null) { this.#unnamed.push(addr); continue }
      if (peer === libp2p.peerId.toString()) continue
      this.#keep.set(peer, [...(this.#keep.get(peer) ?? []), addr])
    }
  }

  async start (): Promise<void> {
    this.#running = true
    for (const [peer, addrs] of this.#keep) {
      await this.#libp2p.peerStore.merge(peerIdFromString(peer), { multiaddrs: addrs })
    }
    this.#libp2p.addEventListener('peer:disconnect', this.#onDisconnect)
    this.#libp2p.addEventListener('peer:connect', this.#onConnect)
    this.#libp2p.addEventListener('peer:identify', this.#onIdentify)
    for (const peer of this.#keep.keys()) this.#schedule(peer, 0)
    for (const addr of this.#unnamed) void this.#dialUnnamed(addr, 0)
    this.#tick = setInterval(() => { void this.topUp() }, 5_000)
    this.#tick.unref()
  }

  stop (): void {
    this.#running = false
    this.#libp2p.removeEventListener('peer:disconnect', this.#onDisconnect)
    this.#libp2p.removeEventListener('peer:connect', this.#onConnect)
    this.#libp2p.removeEventListener('peer:identify', this.#onIdentify)
    if (this.#tick != null) clearInterval(this.#tick)
    for (const t of this.#timers.values()) clearTimeout(t)
    this.#timers.clear()
  }

  /** Dials every kept peer now (after a partition heals, say). */
  redialAll (): void {
    for (const peer of this.#keep.keys()) { this.#attempts.delete(peer); this.#holdUntil.delete(peer); this.#schedule(peer, 0) }
  }

  #connected (peer: string): boolean {
    return this.#libp2p.getConnections().some(c => c.remotePeer.toString() === peer && c.status === 'open')
  }

  #schedule (peer: string, delay: number): void {
    if (!this.#running || this.#timers.has(peer)) return
    const timer = setTimeout(() => {
      this.#timers.delete(peer)
      void this.#dial(peer)
    }, delay)
    timer.unref()
    this.#timers.set(peer, timer)
  }

  async #dial (peer: string): Promise<void> {
    if (!this.#running || this.#connected(peer) || (this.#init.blocked?.(peer) ?? false) || this.#held(peer)) return
    // Its link is being set up: not crossed with a dial of ours; looked at again once it is up or failed.
    const letIn = this.#letIn.get(peer)
    if (letIn != null && Date.now() - letIn < NET_DEFAULTS.crossingDialMs) {
      this.#schedule(peer, NET_DEFAULTS.crossingDialMs)
      return
    }
    this.#dialing.set(peer, Date.now())
    const failure = await this.#libp2p.dial(peerIdFromString(peer), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }).then(() => undefined, (err: unknown) => err ?? new Error('dial failed'))
    this.#dialing.delete(peer)
    if (failure == null) return
    await new Promise(resolve => setTimeout(resolve, DIAL_FAILURE_SETTLE_MS).unref())
    // The other side's dial won: linked, no failure.
    if (!this.#running || this.#connected(peer)) return
    this.#failed(peer, await this.#withAddresses(peer, reasonOf(failure)))
  }

  /**
   * A dial that ran out of time says only `TimeoutError` (no address answered, none refused):
   * the addresses it tried are named, so the operator sees which are stale or firewalled.
   */
  async #withAddresses (peer: string, reason: string): Promise<string> {
    if (!reason.startsWith('TimeoutError')) return reason
    const addrs = await this.#libp2p.peerStore.get(peerIdFromString(peer)).then(p => p.addresses.map(a => a.multiaddr.toString()), () => [])
    return addrs.length === 0 ? `${reason} (no address known)` : `no answer within ${DIAL_TIMEOUT_MS / 1000} s from ${addrs.join(', ')} (${reason})`
  }

  /** The gate let in a link from `peer` (see Network#crossing): no dial to it for a few seconds. */
  inboundLetIn (peer: string): void {
    if (this.#letIn.size > 1024) this.#letIn.clear()
    this.#letIn.set(peer, Date.now())
  }

  /** How long this node's own dial to `peer` has been under way, if one is. */
  dialingFor (peer: string): number | undefined {
    const since = this.#dialing.get(peer)
    return since == null ? undefined : Date.now() - since
  }

  /** Failures in a row with `peer` (failed dials and links cut at once); 0 after a stable link. */
  failuresWith (peer: string): number { return this.#attempts.get(peer) ?? 0 }

  /**
   * Whether `peer` closed its last link with this node right after it opened: what a member's
   * gate does to a node it does not count as a member (removed, or not admitted yet).
   */
  refusedBy (peer: string): boolean { return this.#refusedBy.has(peer) }

  #held (peer: string): boolean { return (this.#holdUntil.get(peer) ?? 0) > Date.now() }

  /** One more failure in a row with `peer`: told (sometimes), and the next dial backs off. */
  #failed (peer: string, reason: string): void {
    const n = (this.#attempts.get(peer) ?? 0) + 1
    this.#attempts.set(peer, n)
    if (this.#keep.has(peer) && worthTelling(n)) this.#init.onUnreachable?.(peer, reason, n)
    const base = Math.min(NET_DEFAULTS.redialMaxMs, NET_DEFAULTS.redialMinMs * 2 ** (n - 1))
    const delay = base / 2 + Math.random() * base / 2
    this.#holdUntil.set(peer, Date.now() + delay)
    if (this.#keep.has(peer) && this.#init.isMember(peer)) this.#schedule(peer, delay)
  }

  /** Dials an address whose peer is not known yet; the peer found there is kept from then on. */
  async #dialUnnamed (addr: Multiaddr, attempt: number): Promise<void> {
    if (!this.#running) return
    try {
      const connection = await this.#libp2p.dial(addr, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      const peer = connection.remotePeer.toString()
      this.#keep.set(peer, [addr])
    } catch (err) {
      // This node's own address (one config listing every founder, shared by all): nothing to reach.
      if (/(can ?not|tried to) dial self/i.test((err as Error)?.message ?? '')) return
      // With every member linked, this address reaches no one new (a member's old address, after
      // it moved): dialled still, with backoff, but not reported every few minutes for ever.
      if (worthTelling(attempt + 1) && !(this.#init.allLinked?.() ?? false)) this.#init.onUnreachable?.(addr.toString(), reasonOf(err), attempt + 1)
      const base = Math.min(NET_DEFAULTS.redialMaxMs, NET_DEFAULTS.redialMinMs * 2 ** attempt)
      const timer = setTimeout(() => { void this.#dialUnnamed(addr, attempt + 1) }, base / 2 + Math.random() * base / 2)
      timer.unref()
    }
  }

  #onConnect = (evt: CustomEvent<PeerId>): void => {
    this.#connectedAt.set(evt.detail.toString(), Date.now())
    this.#identified.delete(evt.detail.toString())
  }

  #onIdentify = (evt: CustomEvent<{ peerId: PeerId }>): void => {
    this.#identified.add(evt.detail.peerId.toString())
  }

  #onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const peer = evt.detail.toString()
    const opened = this.#connectedAt.get(peer)
    this.#connectedAt.delete(peer)
    const letIn = this.#identified.delete(peer)
    if (opened != null && Date.now() - opened < STABLE_LINK_MS && !letIn) {
      const judge = (): void => {
        if (!this.#running || this.#connected(peer)) return
        this.#refusedBy.add(peer)
        this.#failed(peer, 'the peer closed the link right after it opened (its gate may not count this node as a member: not admitted yet, or removed)')
      }
      // A member with the lower peer id turns away a link of ours that crosses its own dial
      // (Network#crossing), which this side may have counted as open for a moment: linked
      // through the member's own link a moment later, that was no refusal.
      if (peer < this.#libp2p.peerId.toString()) setTimeout(judge, DIAL_FAILURE_SETTLE_MS).unref()
      else judge()
      return
    }
    this.#refusedBy.delete(peer)
    this.#attempts.delete(peer)
    this.#holdUntil.delete(peer)
    if (this.#keep.has(peer) && this.#init.isMember(peer)) this.#schedule(peer, NET_DEFAULTS.redialMinMs)
  }

  /** Dials known members while fewer than `minPeers` are connected (also every 5 s). */
  async topUp (): Promise<void> {
    if (!this.#running) return
    for (const peer of this.#keep.keys()) if (!this.#connected(peer)) this.#schedule(peer, 0)
    const connected = new Set(this.#libp2p.getConnections().map(c => c.remotePeer.toString()))
    const want = (this.#init.minPeers ?? NET_DEFAULTS.minPeers) - connected.size
    if (want <= 0) return
    const known = await this.#libp2p.peerStore.all()
    // Bootstrap members are scheduled above (with their backoff): not dialed a second time here.
    const candidates = known.map(p => p.id.toString())
      .filter(p => p !== this.#libp2p.peerId.toString() && !connected.has(p) && !this.#keep.has(p) && this.#init.isMember(p) && !(this.#init.blocked?.(p) ?? false) && !this.#held(p))
    for (const peer of candidates.slice(0, want)) void this.#dial(peer)
  }
}
