/**
 * The ledger: a node's records, durably stored, and the state folded from them.
 *
 * Every door (gossip, sync, the API, the node's own writes) hands bytes to `admit` or
 * `admitMany`; the one validator decides; accepted records are committed to SQLite *before*
 * the call returns or any event fires, so "accepted" means "on disk". The one exception is
 * `admitSoon`, the gossip door's: its records are validated and applied at once and committed
 * with the next write, at `flush()` (the node calls it at the process's quiet moments), or
 * within `WRITE_BEHIND_MS`; see `admitSoon` for why, and what a crash then costs. Records ahead
 * of a gap wait in a bounded buffer and are released in order when the gap fills. A second
 * signed record at a held (origin, seq) is kept as proof and freezes that chain at the fork.
 */
import { EventEmitter } from 'node:events'
import { admissionOf, applyRecord, authorRecord, isVoid, membership, Roster, State, validate, viewDigest, type Admission, type ChainTip, type FederationSettings, type Fork, type HeldRecord, type LedgerView, type Member, type SigningKey, type VersionVector } from '../records/index.ts'
import { decodeRecord, IgnoreCode, MAX_RECORD_BYTES, RecordError, recordId, reject, RejectCode, signingPayloadOf, type Prepared } from '../records/index.ts'
import type { VerifyPool } from './verify-pool.ts'
import { PendingBuffer, type PendingLimits } from './pending.ts'
import { SqliteStore, storeDamaged, type StoredRecord } from './sqlite-store.ts'

export interface LedgerInit {
  /** SQLite file in the node's data directory, or ':memory:'. */
  path: string
  /** The charter's founding members; votes recorded in the ledger change membership from there. */
  roster: Roster
  /** The charter's settings (quorums, thresholds, red lines). @default DEFAULT_SETTINGS */
  settings?: FederationSettings
  pending?: PendingLimits
  /** Clock for "first held at" times. @default Date.now */
  now?: () => number
}

export interface Gap { origin: string, from: number, to: number }

/** Longest a gossip record accepted by `admitSoon` waits for its commit. */
export const WRITE_BEHIND_MS = 100

export interface LedgerEvents {
  accepted: [record: HeldRecord]
  equivocation: [fork: Fork]
  gap: [gap: Gap]
  /** Every admission's verdict, whatever door it came through (metrics). */
  verdict: [admission: Admission]
  /** Membership changed (a vote reached its quorum): the new roster. */
  membership: [roster: Roster]
  /** Records accepted by `admitSoon` could not be committed; memory was reloaded from disk. */
  writeFailed: [err: unknown, lost: number]
}

export class Ledger extends EventEmitter<LedgerEvents> implements LedgerView {
  readonly #genesis: Member[]
  readonly #settings: FederationSettings | undefined
  #roster?: { state: State, version: number, roster: Roster }
  readonly #store: SqliteStore
  readonly #pending: PendingBuffer
  readonly #now: () => number
  #state!: State
  #ids = new Set<string>()
  #tips = new Map<string, ChainTip>()
  /** Bumped by every change to the chains or forks; the vector and digest are cached per value. */
  #version = 0
  #summary?: { version: number, vector: VersionVector, digest?: string }
  readonly #path: string

  constructor (init: LedgerInit) {
    super()
    this.#genesis = init.roster.list()
    this.#settings = init.settings
    this.#path = init.path
    this.#store = new SqliteStore(init.path)
    this.#store.onQueuedLost = err => { this.emit('writeFailed', err, this.#reloadCountingLost()) }
    this.#pending = new PendingBuffer(init.pending)
    this.#now = init.now ?? Date.now
    try {
      this.#load()
    } catch (err) {
      this.#store.close()
      throw err
    }
  }

  get state (): State { return this.#state }

  /** The federation's members now: the charter's, changed by every membership vote held. */
  get roster (): Roster {
    const cached = this.#roster
    if (cached != null && cached.state === this.#state && cached.version === this.#state.governanceVersion) return cached.roster
    const next = new Roster(membership(this.#state).members)
    const changed = cached != null && JSON.stringify(cached.roster.list()) !== JSON.stringify(next.list())
    const roster = changed || cached == null ? next : cached.roster
    this.#roster = { state: this.#state, version: this.#state.governanceVersion, roster }
    return roster
  }
  get store (): SqliteStore { return this.#store }
  get pendingCount (): number { return this.#pending.size }
  get size (): number { return this.#ids.size }

  has (id: string): boolean { return this.#ids.has(id) }
  /** Whether a held record is void under the membership now (see `isVoid`). */
  voids (record: { origin: string, seq: number, kind: string }): boolean { return isVoid(this.roster.get(record.origin), record.seq, record.kind) }
  tip (origin: string): ChainTip | undefined { return this.#tips.get(origin) }
  /** The id of `origin`'s record at `seq`: the tip from memory, older records from disk. */
  idAt (origin: string, seq: number): string | undefined {
    const tip = this.#tips.get(origin)
    if (tip != null && seq === tip.seq && seq > 0) return tip.head
    return this.#store.idAt(origin, seq)
  }

  /**
   * `{origin: {seq, head}}` for every chain with at least one in-chain record. Every sync round
   * sends it (and the digest), so both are kept until the ledger changes; the object is frozen.
   */
  vector (): VersionVector {
    if (this.#summary?.version === this.#version) return this.#summary.vector
    const out: VersionVector = {}
    for (const [origin, tip] of [...this.#tips].sort(([a], [b]) => a.localeCompare(b))) {
      if (tip.seq > 0) out[origin] = Object.freeze({ seq: tip.seq, head: tip.head })
    }
    this.#summary = { version: this.#version, vector: Object.freeze(out) }
    return out
  }

  digest (): string {
    const vector = this.vector()
    const summary = this.#summary as { digest?: string }
    summary.digest ??= viewDigest(vector, this.#state.forks.values())
    return summary.digest
  }

  /** One origin's in-chain records from `from` (inclusive), in order, at most `limit`. */
  range (origin: string, from: number, limit: number): StoredRecord[] {
    const tip = this.#tips.get(origin)
    if (tip == null || from > tip.seq) return []
    return this.#store.range(origin, from, tip.seq, limit)
  }

  forkProofs (): Array<{ fork: Fork, bytes: [Uint8Array, Uint8Array] }> {
    // The state holds every fork on disk (see #refold): none there, none to read.
    if (this.#state.forks.size === 0) return []
    return this.#store.forks().map(({ fork, bytesB }) => {
      const a = this.#store.get(fork.ids[0])
      return { fork, bytes: [a?.bytes ?? new Uint8Array(), bytesB] }
    })
  }

  admit (bytes: Uint8Array): Admission {
    return this.admitMany([bytes])[0] as Admission
  }

  /**
   * Decodes a batch here and verifies its signatures on the pool's worker threads, for
   * `admitMany(batch, false, prepared)`. Callers pipeline: while one batch is being stored, the
   * next one's signatures are checked on another core. The verdicts are exactly those of
   * `admitMany` alone: only where the work is done differs.
   */
  async prepare (batch: Uint8Array[], pool: VerifyPool): Promise<Array<Prepared | undefined>> {
    const prepared: Array<Prepared | undefined> = batch.map(() => undefined)
    const items: Array<{ at: number, id: string, envelope: Prepared['envelope'], key: string }> = []
    for (const [at, bytes] of batch.entries()) {
      if (bytes.length > MAX_RECORD_BYTES) continue
      try {
        const id = recordId(bytes)
        if (this.has(id)) continue
        const envelope = decodeRecord(bytes)
        const member = this.roster.get(envelope.origin)
        if (member != null) items.push({ at, id, envelope, key: member.publicKey })
      } catch {
        // Malformed: admitMany gives the reason.
      }
    }
    const valid = await pool.verify(items.map(i => ({ key: i.key, payload: signingPayloadOf(batch[i.at] as Uint8Array), sig: Buffer.from(i.envelope.sig, 'base64url') })))
    for (const [n, item] of items.entries()) {
      prepared[item.at] = { id: item.id, envelope: item.envelope, signatureValid: valid[n] === true, publicKey: item.key }
    }
    return prepared
  }

  /**
   * Admits one record from gossip: validated, applied and announced (events) at once, committed
   * within `WRITE_BEHIND_MS` (with the next write, or at `flush()`). Gossipsub forwards a record
   * only once its validator returns, and with many nodes sharing a core (the L50 bench) every
   * node's commit lay on the path of every record to the last node: measured at 50 nodes in two
   * processes (three interleaved pairs), taking commits off that path cut the median time to all
   * nodes from 18.2 to 15.9 ms and the p99 from 32.1 to 28.4 ms.
   *
   * What a crash costs: records accepted in the last `WRITE_BEHIND_MS`, which the node fetches
   * again by sync when it restarts. They are never lost to the federation: a member commits its
   * own records durably before publishing them (`author`), and every node that forwarded one
   * commits it too. Records from the API and sync are committed before the call returns.
   */
  admitSoon (bytes: Uint8Array): Admission {
    return this.#admitBatch([bytes], 'soon')[0] as Admission
  }

  /** Commits what `admitSoon` accepted, now. */
  flush (): void {
    try { this.#store.flush() } catch {
      // Reported through onQueuedLost: memory reloaded, 'writeFailed' emitted.
    }
  }

  /**
   * Forgets what `admitSoon` accepted and has not committed, as a crash would (drills, tests);
   * returns how many records that was.
   */
  crashNow (): number {
    return this.#store.dropQueued() > 0 ? this.#reloadCountingLost() : 0
  }

  /** Memory back to what is on disk, after queued writes were lost: how many records went. */
  #reloadCountingLost (): number {
    const held = this.#ids.size
    this.#load()
    return held - this.#ids.size
  }

  /** Admits a batch in one transaction: one disk sync for all of them. */
  admitMany (batch: Uint8Array[], durably = false, prepared?: Array<Prepared | undefined>): Admission[] {
    return this.#admitBatch(batch, durably ? 'durably' : 'now', prepared)
  }

  #admitBatch (batch: Uint8Array[], commit: 'now' | 'durably' | 'soon', prepared?: Array<Prepared | undefined>): Admission[] {
    const results: Admission[] = []
    const accepted: HeldRecord[] = []
    const forks: Fork[] = []
    const gaps: Gap[] = []
    const now = this.#now()
    const before = this.roster
    try {
      const write = (): void => {
        for (const [i, bytes] of batch.entries()) results.push(this.#admitOne(bytes, now, accepted, forks, gaps, prepared?.[i]))
      }
      if (commit === 'durably') this.#store.durably(write)
      else if (commit === 'soon') this.#store.later(write, WRITE_BEHIND_MS)
      else this.#store.transaction(write)
    } catch (err) {
      // The transaction rolled back: memory may be ahead of disk, so reload it from disk. Gossip
      // records still queued from `admitSoon` went down with it: beyond this batch's own (whose
      // caller gets the error), whatever else memory held and disk lacks is reported lost.
      const lost = this.#reloadCountingLost() - accepted.length
      if (lost > 0) this.emit('writeFailed', err, lost)
      throw err
    }
    for (const record of accepted) this.emit('accepted', record)
    for (const fork of forks) this.emit('equivocation', fork)
    for (const gap of gaps) this.emit('gap', gap)
    if (this.listenerCount('verdict') > 0) for (const r of results) this.emit('verdict', r)
    const after = this.roster
    if (after !== before) {
      if (voidingChanged(before, after, this.#tips)) this.#refold()
      this.emit('membership', after)
    }
    return results
  }

  /** Signs and admits this member's next record through the same validator as every door. */
  author (origin: string, key: SigningKey, kind: string, body: object, time?: number): Admission & { bytes?: Uint8Array } {
    let bytes: Uint8Array
    try {
      const until = this.roster.get(origin)?.until
      if (until != null) throw reject(RejectCode.NOT_MEMBER, `${origin} was removed from the federation; only its records up to seq ${until} count`, 'origin')
      // A frozen chain takes nothing more (and one frozen at seq 1 has no head to chain to).
      const frozenAt = this.#tips.get(origin)?.frozenAt
      if (frozenAt != null) return { verdict: 'ignore', code: IgnoreCode.CHAIN_FROZEN, message: `${origin}'s chain is frozen at seq ${frozenAt} by an equivocation` }
      bytes = authorRecord(key, origin, this.#tips.get(origin), kind, body, time).bytes
    } catch (err) {
      if (!(err instanceof RecordError)) throw err
      return admissionOf(err)
    }
    const admission = this.admitMany([bytes], true)[0] as Admission
    // The one part of a record its author chooses the size of is the body.
    if (admission.code === RejectCode.OVERSIZED) return { ...admission, message: `${admission.message}: the body is too large`, field: 'body' }
    return admission.verdict === 'accept' ? { ...admission, bytes } : admission
  }

  close (): void { this.#store.close() }

  #admitOne (bytes: Uint8Array, now: number, accepted: HeldRecord[], forks: Fork[], gaps: Gap[], prepared?: Prepared): Admission {
    const admission = validate(bytes, this.roster, this, prepared)
    const record = admission.record
    if (record == null) return admission
    if (admission.verdict === 'accept') {
      this.#accept(record, bytes, now)
      accepted.push(record)
      this.#release(record.origin, now, accepted, forks, gaps)
    } else if (admission.verdict === 'pending' && admission.gap != null) {
      if (!this.#pending.add(record.origin, record.seq, bytes)) {
        return { ...admission, code: 'pending-full', message: `${admission.message}; pending buffer full, dropped` }
      }
      gaps.push(admission.gap)
    } else if (admission.verdict === 'equivocation' && admission.conflictsWith != null) {
      forks.push(this.#fork(record, bytes, admission.conflictsWith, now))
    }
    return admission
  }

  #accept (record: HeldRecord, bytes: Uint8Array, now: number): void {
    this.#store.put(record, bytes, now)
    this.#tips.set(record.origin, { seq: record.seq, head: record.id })
    this.#ids.add(record.id)
    this.#version++
    if (this.voids(record)) this.#state.voided++
    else applyRecord(this.#state, record)
  }

  /** Admits waiting records of `origin` that now follow its tip. */
  #release (origin: string, now: number, accepted: HeldRecord[], forks: Fork[], gaps: Gap[]): void {
    for (;;) {
      const next = (this.#tips.get(origin)?.seq ?? 0) + 1
      const bytes = this.#pending.take(origin, next)
      if (bytes == null) return
      const before = accepted.length
      this.#admitOne(bytes, now, accepted, forks, gaps)
      if (accepted.length === before) return
    }
  }

  #fork (record: HeldRecord, bytes: Uint8Array, heldId: string, now: number): Fork {
    const fork: Fork = { origin: record.origin, seq: record.seq, ids: [heldId, record.id] }
    this.#store.putFork(fork, bytes, now)
    this.#ids.add(record.id)
    const below = record.seq - 1
    const tip: ChainTip = { seq: below, head: below > 0 ? (this.#store.idAt(record.origin, below) ?? '') : '', frozenAt: record.seq }
    this.#store.freeze(record.origin, tip)
    this.#tips.set(record.origin, tip)
    this.#version++
    this.#pending.prune(record.origin, seq => seq >= record.seq)
    // Records past the fork no longer count: refold (rare, so simplicity wins over speed).
    this.#refold()
    return fork
  }

  #load (): void {
    this.#tips = this.#store.tips()
    this.#ids = new Set(this.#store.ids())
    this.#version++
    this.#refold(true)
  }

  #newState (): State {
    return new State({ genesis: this.#genesis, ...(this.#settings != null ? { settings: this.#settings } : {}) })
  }

  /**
   * The state again from every record on disk, but records past a fork and void records. Which
   * records are void depends on membership, and membership only on governance records, which are
   * never void: so one pass folds everything, and only if that membership voids some record held
   * does a second pass fold again without them (rare: a removal of a member that wrote past its
   * last valid seq).
   */
  #refold (checkIds = false): void {
    const fold = (roster?: Roster): State => {
      const state = this.#newState()
      for (const stored of this.#store.all()) {
        // On load, each record's bytes must still hash to its id: a byte changed on disk would
        // otherwise be served as the member's record, under its id and signature (SQLite's own
        // check cannot see inside a row). ~0.3 s per 100 k records.
        if (checkIds && recordId(stored.bytes) !== stored.id) throw storeDamaged(this.#path, `record ${stored.origin} #${stored.seq} no longer hashes to its id ${stored.id.slice(0, 16)}…: its bytes changed on disk`)
        const tip = this.#tips.get(stored.origin)
        if (tip == null || stored.seq > tip.seq) continue
        if (roster != null && isVoid(roster.get(stored.origin), stored.seq, stored.kind)) { state.voided++; continue }
        applyRecord(state, { ...decodeRecord(stored.bytes), id: stored.id })
      }
      for (const { fork } of this.#store.forks()) state.forks.set(fork.origin, fork)
      return state
    }
    let state = fold()
    const roster = new Roster(membership(state).members)
    // Against a roster with no removal at all: does this one void any record held?
    if (voidingChanged(new Roster(), roster, this.#tips)) state = fold(roster)
    this.#state = state
  }
}

/**
 * Whether a membership change voids records already folded, or un-voids records left out
 * (a removal can lose its place to a competing change at the same epoch): a member's last
 * valid seq changed and its chain reaches past the lower of the two.
 */
function voidingChanged (before: Roster, after: Roster, tips: ReadonlyMap<string, ChainTip>): boolean {
  for (const id of new Set([...before.list(), ...after.list()].map(m => m.id))) {
    const a = before.get(id)?.until
    const b = after.get(id)?.until
    if (a === b) continue
    const lowest = Math.min(a ?? Infinity, b ?? Infinity)
    if ((tips.get(id)?.seq ?? 0) > lowest) return true
  }
  return false
}
