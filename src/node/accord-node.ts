/**
 * One member's node: its ledger (records on disk, the folded state) wired to its network
 * (gossip, sync, the gate). Everything that writes goes through `submit`, which stores the
 * record durably before publishing it.
 */
import { EventEmitter } from 'node:events'
import { Ledger } from '../store/ledger.ts'
import { Network, memberPeerId, type NetworkInit } from '../net/index.ts'
import { SigningKey, type Admission, type FederationSettings, type Fork, type HeldRecord, type Roster, type VersionVector } from '../records/index.ts'
import { FloodDetector, TwinAlarms, type Alarm, type TwinKeyAlarm } from './alarms.ts'
import { TransitionWatcher, type Transition } from './transitions.ts'
import { yieldHelperThreads } from './thread-priority.ts'
import { processIdleGc } from './idle-gc.ts'
import { processQuiet } from './quiet.ts'
import { WriteGate, WritesNotOpenError, type WritesOpen } from './write-gate.ts'
import { OwnChainMark } from './own-chain-mark.ts'

export interface NodeInit extends Omit<NetworkInit, 'ledger' | 'seed'> {
  id: string
  seed: Uint8Array
  /** The charter's founding members. */
  roster: Roster
  /** The charter's settings. @default DEFAULT_SETTINGS */
  settings?: FederationSettings
  /** SQLite file for the ledger (or ':memory:'). */
  dbPath: string
  /**
   * With no member connected this long after the start, writes open from the local chain alone
   * (see write-gate.ts). @default WRITE_SETTLE_MS
   */
  writeSettleMs?: number
  /** With members connected but no sync round with any of them started (no hello read) this long after the start, writes open. @default WRITE_STALL_MS */
  writeStallMs?: number
  /** Longest a write waits for writes to open before it is refused. @default WRITE_WAIT_MS */
  writeWaitMs?: number
}

/**
 * With no member connected this long after a start, the node is cut off and may write from its
 * own chain (sync delivers its records later). A round takes milliseconds once a member is
 * connected.
 */
export const WRITE_SETTLE_MS = 15_000
/** With members connected but no sync round with any of them started this long, sync is failing: writes open. */
export const WRITE_STALL_MS = 60_000
/** Longest a write waits for writes to open before it is refused (503 catching-up). */
export const WRITE_WAIT_MS = 15_000

/**
 * One other member as this node sees it.
 * - `refuses`: not connected, and its last link with this node was closed at once from its side
 *   (see `Dialer.refusedBy`).
 * - `answered`: a connected member answered the status ask just now; false when it did not (a
 *   link gone silent, a node stalled), and then `digest`, `agrees` and `seenAt` are as of its
 *   last status answer or sync hello, whichever came last (see `Network.lastSeen`).
 * - `addr`: the address of this node's open link with a connected member (the other end's, as
 *   this node sees it).
 */
export interface PeerStatus { id: string, peerId: string, connected: boolean, addr?: string, refuses?: boolean, answered?: boolean, digest?: string, agrees?: boolean, seenAt?: number }

export interface ViewSummary {
  id: string
  digest: string
  vector: VersionVector
  counts: Record<string, number>
  /** Records held but void (a removed member's, past its last valid seq): in no count. */
  voided: number
  /** Every record held (on disk), counted or not: beyond `counts` and `voided` are a frozen chain's records past its fork. */
  held: number
  peers: PeerStatus[]
  /** Chains frozen by an equivocation (two records at one seq): the proof is held, later records refused. */
  frozen: Array<{ origin: string, seq: number, ids: [string, string] }>
  /** Member keys seen in use by two or more running nodes in the last 15 minutes (this member's own too, when a member reported it). */
  twins: Array<Omit<TwinKeyAlarm, 'type'>>
}

export interface NodeEvents {
  record: [record: HeldRecord]
  equivocation: [fork: Fork]
  alarm: [alarm: Alarm]
  /** Red-line and membership transitions (declared, confirmed, mandated, shut down, overdue, admitted, removed). */
  transition: [transition: Transition]
  /** Writes may go ahead: how (see write-gate.ts) and after how long. */
  settled: [how: WritesOpen, ms: number]
  /** Writes are still closed at a check, and why. */
  writesWaiting: [why: string]
}

export class AccordNode extends EventEmitter<NodeEvents> {
  readonly id: string
  readonly ledger: Ledger
  readonly network: Network
  readonly #key: SigningKey
  readonly #flood = new FloodDetector()
  readonly #twins = new TwinAlarms()
  readonly #transitions: TransitionWatcher
  readonly #stopFlushing: () => void
  /** When writes open after a start (see `submit`). */
  readonly #writes: WriteGate
  readonly #writeWaitMs: number
  /** How far this node has signed its own chain, kept outside records.db (own-chain-mark.ts). */
  readonly #mark: OwnChainMark

  private constructor (init: NodeInit, ledger: Ledger, network: Network) {
    super()
    this.id = init.id
    this.#key = new SigningKey(init.seed)
    this.ledger = ledger
    this.network = network
    this.#writeWaitMs = init.writeWaitMs ?? WRITE_WAIT_MS
    this.#mark = new OwnChainMark(init.dbPath)
    const signed = this.#mark.read()
    this.#writes = new WriteGate({
      self: init.id,
      ledger,
      connectedMembers: () => network.connectedMembers(),
      again: peer => { void network.sync.request(peer, 'manual') },
      memberOf: peer => network.memberOf(peer),
      settleMs: init.writeSettleMs ?? WRITE_SETTLE_MS,
      stallMs: init.writeStallMs ?? WRITE_STALL_MS,
      opened: (how, ms) => this.emit('settled', how, ms),
      waiting: why => this.emit('writesWaiting', why),
      ...(signed > 0 && this.#mark.path != null ? { signedUpTo: { seq: signed, mark: this.#mark.path } } : {})
    })
    network.sync.on('hello', (peer, hello) => { this.#writes.onHello(peer, hello) })
    network.sync.on('synced', peer => { this.#writes.onRound(peer) })
    this.#transitions = new TransitionWatcher(() => ledger.state, t => this.emit('transition', t))
    // Every admission, whatever its door and verdict, tells the process it is busy (quiet.ts).
    const quiet = processQuiet()
    ledger.on('verdict', () => { quiet.touch() })
    // Gossip records are committed between bursts (Ledger.admitSoon).
    this.#stopFlushing = quiet.onQuiet(() => { ledger.flush() })
    ledger.on('writeFailed', (err, lost) => {
      this.emit('alarm', { type: 'store-write-failed', error: err instanceof Error ? err.message : String(err), lost, at: Date.now() })
    })
    ledger.on('accepted', r => { this.emit('record', r); this.#transitions.onRecord(r) })
    ledger.on('equivocation', f => {
      this.emit('equivocation', f)
      this.emit('alarm', { type: 'equivocation', origin: f.origin, seq: f.seq, ids: f.ids, at: Date.now() })
    })
    // One key, two running nodes (twin-check.ts): seen here about a peer, or told about our own key.
    const who = (peer: string): string => network.memberOf(peer) ?? peer
    network.twins.on('twins', s => { this.#twinKey(who(s.peer), this.id, s.seen) })
    network.twins.on('notice', n => { this.#twinKey(this.id, who(n.reporter), n.seen) })
    network.twins.on('twinsGone', peer => { this.#twins.clear(who(peer), this.id) })
    network.twins.on('noticeCleared', reporter => { this.#twins.clear(this.id, who(reporter)) })
  }

  #twinKey (member: string, reportedBy: string, seen: Array<{ addr: string, boot: string }>): void {
    const alarm = this.#twins.note(member, reportedBy, new Set(seen.map(s => s.boot)).size, seen.map(s => s.addr))
    if (alarm != null) this.emit('alarm', alarm)
  }

  /** Called by the network for every gossip verdict: watches for floods of rejected records. */
  #onVerdict (admission: Admission, peer: string): void {
    if (admission.verdict !== 'reject') return
    const count = this.#flood.hit(peer)
    if (count == null) return
    const member = this.network.memberOf(peer)
    this.emit('alarm', { type: 'reject-flood', peer, ...(member != null ? { member } : {}), rejects: count, windowMs: this.#flood.windowMs, lastCode: admission.code, at: Date.now() })
  }

  static async create (init: NodeInit): Promise<AccordNode> {
    const ledger = new Ledger({ path: init.dbPath, roster: init.roster, ...(init.settings != null ? { settings: init.settings } : {}) })
    try {
      let self: AccordNode | undefined
      processIdleGc()
      const network = await Network.create({
        quiet: processQuiet(),
        ...init,
        ledger,
        seed: init.seed,
        onVerdict: (admission, peer) => { init.onVerdict?.(admission, peer); if (self != null) self.#onVerdict(admission, peer) }
      })
      self = new AccordNode(init, ledger, network)
      return self
    } catch (err) {
      ledger.close()
      throw err
    }
  }

  get peerId (): string { return this.network.peerId }
  get multiaddrs (): string[] { return this.network.multiaddrs }

  async start (): Promise<void> {
    yieldHelperThreads()
    this.#transitions.start()
    await this.network.start()
    this.#writes.start(this.ledger.roster.list().some(m => m.id !== this.id && m.until == null))
  }

  async stop (): Promise<void> {
    this.#writes.stop() // a write still waiting then fails on the closed store
    this.#transitions.stop()
    this.#stopFlushing()
    try {
      await this.network.stop()
    } finally {
      this.ledger.close()
    }
  }

  /**
   * Signs, stores (durably) and publishes this member's next record.
   *
   * After a start, writes wait until a member has told this node how far this member's own
   * chain goes and the node holds that much (write-gate.ts): a node restored from an old backup,
   * or whose store was lost, would otherwise sign its next record at a seq it has already used,
   * and two records at one seq are an equivocation that freezes the member's chain everywhere,
   * for good. A write waits for that at most `writeWaitMs`, then is refused
   * (`WritesNotOpenError`, saying why).
   */
  async submit (kind: string, body: object): Promise<Admission & { bytes?: Uint8Array }> {
    if (!this.#writes.isOpen) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([this.#writes.opened, new Promise<void>(resolve => { timer = setTimeout(resolve, this.#writeWaitMs) })])
      clearTimeout(timer)
      if (!this.#writes.isOpen) throw new WritesNotOpenError(this.#writes.reason())
    }
    const admission = this.ledger.author(this.id, this.#key, kind, body)
    if (admission.verdict === 'accept' && admission.record != null) this.#mark.write(admission.record.seq)
    if (admission.verdict === 'accept' && admission.bytes != null) {
      await this.network.publish(admission.bytes).catch(() => 0)
    }
    return admission
  }

  digest (): string { return this.ledger.digest() }

  /**
   * Other current members not connected whose last link with this node they closed at once
   * (see `Dialer.refusedBy`): their gates may not count this node as a member.
   */
  refusingMembers (): string[] {
    const connected = new Set(this.network.connectedMembers())
    return this.ledger.roster.list()
      .filter(m => m.id !== this.id && m.until == null && !connected.has(m.id) && this.network.dialer.refusedBy(memberPeerId(m)))
      .map(m => m.id)
  }

  /** The node's view, with every connected member asked for its digest right now. */
  async view (): Promise<ViewSummary> {
    const statuses = await this.network.peerStatuses()
    const digest = this.ledger.digest()
    const connected = new Set(this.network.connectedMembers())
    const refusing = new Set(this.refusingMembers())
    const linkAddr = new Map<string, string>()
    for (const c of this.network.libp2p.getConnections()) if (c.status === 'open' && !linkAddr.has(c.remotePeer.toString())) linkAddr.set(c.remotePeer.toString(), c.remoteAddr.decapsulateCode(421).toString())
    const peers: PeerStatus[] = []
    for (const member of this.ledger.roster.list()) {
      if (member.id === this.id || member.until != null) continue
      const peerId = memberPeerId(member)
      const now = statuses.get(peerId)
      const seen = now != null ? { digest: now.digest, at: Date.now() } : this.network.lastSeen(peerId)
      peers.push({
        id: member.id,
        peerId,
        connected: connected.has(member.id),
        ...(connected.has(member.id) && linkAddr.has(peerId) ? { addr: linkAddr.get(peerId) as string } : {}),
        ...(refusing.has(member.id) ? { refuses: true } : {}),
        ...(connected.has(member.id) ? { answered: now != null } : {}),
        ...(seen != null ? { digest: seen.digest, agrees: seen.digest === digest, seenAt: seen.at } : {})
      })
    }
    const frozen = [...this.ledger.state.forks.values()].sort((a, b) => a.origin.localeCompare(b.origin))
    const twins = this.#twins.current().map(({ type: _, ...t }) => t)
    return { id: this.id, digest, vector: this.ledger.vector(), counts: Object.fromEntries(this.ledger.state.countsByKind), voided: this.ledger.state.voided, held: this.ledger.size, peers, frozen, twins }
  }
}
