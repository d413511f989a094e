/**
 * Catch-up sync, `/accord/sync/1.0.0`: how two members make sure each holds what the other has.
 *
 * In plain words: either side opens a stream and both sides say hello at once, with their
 * version vector (for every chain they hold, its last seq and that record's id), the
 * equivocation proofs they hold, and their view digest. From the other's hello each side works
 * out what the other lacks: for every chain where it is ahead, the records after the other's
 * seq (or from the other's seq itself, when the two disagree about the record there — that is a
 * fork, and sending ours lets the other see it); then every proof the other does not have. It
 * sends those records chain by chain, in order, one frame each, and a final DONE. Meanwhile it
 * reads what the other sends and admits it in bounded batches through the same validator as
 * gossip and the API. When nothing is missing the whole exchange is one round trip: hello and
 * DONE each way.
 *
 * Frames are length-prefixed (varint); the first byte says what the frame is:
 *   0x01 HELLO  JSON {vector, forks, digest, members} (members: where the sender's peers listen)
 *   0x02 RECORD the record's canonical bytes, exactly as signed
 *   0x03 DONE   JSON {sent}
 * The round must make progress (a frame read or written) every few seconds and finish within a
 * minute (see RoundDeadlines); any error aborts the stream, and whatever was admitted before it
 * stays admitted (it is on disk).
 */
import { setMaxListeners } from 'node:events'
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import type { Ledger } from '../store/ledger.ts'
import type { VerifyPool } from '../store/verify-pool.ts'
import type { Admission, Fork, VersionVector } from '../records/index.ts'
import { NET_DEFAULTS } from './options.ts'

const HELLO = 0x01
const RECORD = 0x02
const DONE = 0x03

export interface Hello {
  vector: VersionVector
  forks: Fork[]
  digest: string
  /** Listen addresses of members the sender is connected to, so members find each other. */
  members?: Record<string, string[]>
}

export interface SyncResult {
  /** The other side's hello: its vector and digest as of this round. */
  peer: Hello
  sent: number
  received: number
  accepted: number
  rejected: number
  /** Bytes of frames written / read, including length prefixes, hellos and DONE. */
  bytesOut: number
  bytesIn: number
  /** Bytes of the records themselves that were read. */
  recordBytesIn: number
  ms: number
}

/**
 * From this many records to receive a round is a bulk catch-up, whose chains one round at a
 * time may carry (see `SyncOptions.claim`). A node back after a lost store or a long absence had
 * a round on every link at once, each sending the same chains: over a 2 Mbit/s link it took in
 * 80,375 duplicates beside 50,000 records, 412 s for what bandwidth allowed in ~144 s. Smaller
 * gaps (gossip missed a few) go on at once on every link, as before.
 */
export const BULK_RECORDS = 1_000

/** This round would bring records another round of this node is bringing now: it stands down. */
export class SyncBusyError extends Error {
  static override name = 'SyncBusyError'
  constructor (message: string) { super(message); this.name = 'SyncBusyError' }
}

export class SyncProtocolError extends Error {
  static override name = 'SyncProtocolError'
  constructor (message: string) { super(message); this.name = 'SyncProtocolError' }
}

export interface SyncOptions {
  signal?: AbortSignal
  /** Called with each batch's admissions (metrics, alarms). */
  onAdmitted?: (admissions: Admission[], records: Uint8Array[]) => void
  /** Member peer id → listen addresses, shared in the hello. */
  members?: Record<string, string[]>
  /** Verify batches' signatures on worker threads while earlier batches are stored. */
  pool?: VerifyPool
  /** The other side's member id: its own chain is sent first (see `plan`). */
  peerOrigin?: string
  /** Told of the other side's hello as soon as it is read (before any record moves). */
  onHello?: (hello: Hello) => void
  /**
   * Asked, once the other side's hello shows it will send at least `BULK_RECORDS` records, for
   * the chains it will send. Returns how to let them go at the round's end, or null when another
   * round of this node is bringing some of them now: this round then ends at once with a
   * `SyncBusyError` (see the scheduler) rather than carry the same records a second time.
   */
  claim?: (origins: string[]) => (() => void) | null
  /** @default NET_DEFAULTS.syncTimeoutMs */
  roundTimeoutMs?: number
  /** @default NET_DEFAULTS.syncStepTimeoutMs */
  stepTimeoutMs?: number
}

function frame (type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1)
  out[0] = type
  out.set(payload, 1)
  return out
}

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))

function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) { n = Math.floor(n / 128); len++ }
  return len
}

export function helloOf (ledger: Ledger, members?: Record<string, string[]>): Hello {
  return { vector: ledger.vector(), forks: [...ledger.state.forks.values()], digest: ledger.digest(), ...(members != null ? { members } : {}) }
}

/**
 * Where to start sending each chain the other side is behind on; the other side's own chain
 * (`first`, its member id) first: a node that lost its store gets its own records back in its
 * first round, however many others there are to fetch, and its writes wait for them.
 */
export function plan (ledger: Ledger, theirs: Hello, first?: string): Array<{ origin: string, from: number, to: number }> {
  const out: Array<{ origin: string, from: number, to: number }> = []
  for (const [origin, mine] of Object.entries(ledger.vector())) {
    const their = theirs.vector[origin]
    let from = (their?.seq ?? 0) + 1
    if (their != null && their.seq <= mine.seq && ledger.idAt(origin, their.seq) !== their.head) from = their.seq
    if (from <= mine.seq) out.push({ origin, from, to: mine.seq })
  }
  const own = out.findIndex(p => p.origin === first)
  if (own > 0) out.unshift(...out.splice(own, 1))
  return out
}

function validHello (value: unknown): value is Hello {
  const h = value as Hello
  return h != null && typeof h === 'object' && typeof h.digest === 'string' && h.vector != null && typeof h.vector === 'object' && Array.isArray(h.forks)
}

/** Runs one sync round on an open stream. Both sides call this; the protocol is symmetric. */
export async function runSync (stream: Stream, ledger: Ledger, options: SyncOptions = {}): Promise<SyncResult> {
  const started = Date.now()
  const deadlines = new RoundDeadlines(options.roundTimeoutMs ?? NET_DEFAULTS.syncTimeoutMs, options.stepTimeoutMs ?? NET_DEFAULTS.syncStepTimeoutMs, options.signal)
  const step = (): AbortSignal => deadlines.step()
  const lp = lpStream(stream, { maxDataLength: NET_DEFAULTS.maxSyncFrameBytes })
  const result = { sent: 0, received: 0, accepted: 0, rejected: 0, bytesOut: 0, bytesIn: 0, recordBytesIn: 0 }
  const write = async (frames: Uint8Array[]): Promise<void> => {
    for (const f of frames) result.bytesOut += f.length + varintLength(f.length)
    await lp.writeV(frames, { signal: step() })
  }

  // The chain of batch admissions; awaited before this function returns or throws, so no batch
  // is ever admitted after the caller has moved on (and perhaps closed the ledger).
  let admitted: Promise<void> = Promise.resolve()
  let releaseClaim: (() => void) | undefined
  try {
    const mine = helloOf(ledger, options.members)
    await write([frame(HELLO, json(mine))])
    const first = (await lp.read({ signal: step() })).subarray()
    result.bytesIn += first.length + varintLength(first.length)
    if (first[0] !== HELLO) throw new SyncProtocolError('expected HELLO first')
    const peer: unknown = JSON.parse(new TextDecoder().decode(first.subarray(1)))
    if (!validHello(peer)) throw new SyncProtocolError('malformed HELLO')
    options.onHello?.(peer)
    // Both sides work these out from the same two hellos, so they agree on them exactly.
    const incoming = ahead(peer.vector, mine.vector)
    const outgoing = ahead(mine.vector, peer.vector)
    if (options.claim != null && incoming.records >= BULK_RECORDS) {
      const release = options.claim(incoming.origins)
      if (release == null) throw new SyncBusyError(`another round is bringing some of these ${incoming.records} records now; this one runs again after it`)
      releaseClaim = release
    }
    // A bulk round is bounded by its progress (a frame every few seconds), not by the minute of an
    // ordinary round: over a slow link each round cut at a minute threw away what was in flight.
    if (incoming.records >= BULK_RECORDS || outgoing.records >= BULK_RECORDS) deadlines.extendRound(NET_DEFAULTS.syncBulkTimeoutMs)

    // The side about to send a bulk of records, to a side sending little, first reads that side's
    // records and DONE: a side that stands down (SyncBusyError) aborts before any record of this
    // bulk was sent, so none crosses the link in vain (at 512 kbit/s, over half of what crossed
    // was thrown away so). At most one side waits: the two conditions exclude each other.
    let otherDone: () => void = () => undefined
    const otherSent = new Promise<void>(resolve => { otherDone = resolve })
    const waitForOther = outgoing.records >= BULK_RECORDS && incoming.records < BULK_RECORDS

    const sending = (async () => {
      if (waitForOther) await otherSent
      for (const { origin, from, to } of plan(ledger, peer, options.peerOrigin)) {
        let next = from
        while (next <= to && result.sent < NET_DEFAULTS.syncMaxRecordsPerRound) {
          const chunk = ledger.range(origin, next, NET_DEFAULTS.syncBatchRecords)
          if (chunk.length === 0) break
          await write(chunk.map(r => frame(RECORD, r.bytes)))
          result.sent += chunk.length
          next = (chunk[chunk.length - 1]?.seq ?? to) + 1
        }
      }
      const known = new Set(peer.forks.map(f => `${f.origin} ${f.seq}`))
      for (const proof of ledger.forkProofs()) {
        if (known.has(`${proof.fork.origin} ${proof.fork.seq}`)) continue
        await write(proof.bytes.map(b => frame(RECORD, b)))
        result.sent += 2
      }
      await write([frame(DONE, json({ sent: result.sent }))])
    })()

    const receiving = (async () => {
      let batch: Uint8Array[] = []
      // Records of a member admitted by votes that arrive later in this same round: tried again at the end.
      const notYetMembers: Uint8Array[] = []
      const admit = (records: Uint8Array[], prepared: Awaited<ReturnType<Ledger['prepare']>> | undefined, final: boolean): void => {
        const admissions = ledger.admitMany(records, false, prepared)
        for (const [i, a] of admissions.entries()) {
          if (a.verdict === 'accept') result.accepted++
          else if (a.verdict === 'reject' && a.code === 'not-member' && !final) notYetMembers.push(records[i] as Uint8Array)
          else if (a.verdict === 'reject') result.rejected++
        }
        options.onAdmitted?.(admissions, records)
      }
      // Batches are admitted in order; with a pool, a batch's signatures are checked on another
      // core while the previous batch is stored and the next one is read off the stream.
      const flush = (): void => {
        if (batch.length === 0) return
        const records = batch
        batch = []
        const prepared = options.pool != null ? ledger.prepare(records, options.pool) : undefined
        admitted = admitted.then(async () => { admit(records, await prepared, false) })
      }
      for (;;) {
        const f = (await lp.read({ signal: step() })).subarray()
        result.bytesIn += f.length + varintLength(f.length)
        if (f[0] === DONE) { otherDone(); break }
        if (f[0] !== RECORD) throw new SyncProtocolError(`unexpected frame type ${f[0]}`)
        const bytes = f.slice(1)
        result.received++
        result.recordBytesIn += bytes.length
        batch.push(bytes)
        if (batch.length >= NET_DEFAULTS.syncBatchRecords) flush()
      }
      flush()
      await admitted
      if (notYetMembers.length > 0) admit(notYetMembers, undefined, true)
    })()

    await Promise.all([sending, receiving])
    await stream.close({ signal: step() })
    return { ...result, peer, ms: Date.now() - started }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    await admitted.catch(() => undefined)
    throw err
  } finally {
    deadlines.clear()
    releaseClaim?.()
  }
}

/** The chains on which `a` is ahead of `b`, and by how many records in all. */
function ahead (a: VersionVector, b: VersionVector): { origins: string[], records: number } {
  const origins: string[] = []
  let records = 0
  for (const [origin, tip] of Object.entries(a)) {
    const by = (typeof tip?.seq === 'number' ? tip.seq : 0) - (b[origin]?.seq ?? 0)
    if (by > 0) { origins.push(origin); records += by }
  }
  return { origins, records }
}

/**
 * The round's two bounds on one AbortController: the whole round within `roundMs`, and progress
 * (a frame read or written) at least every `stepMs`, by re-arming one timer as each step starts.
 * (An `AbortSignal.any` plus an `AbortSignal.timeout` per step cost a tenth of an idle round's
 * CPU.) The caller's signal, when given, aborts the round too.
 */
class RoundDeadlines {
  readonly #controller = new AbortController()
  #round: NodeJS.Timeout
  readonly #step: NodeJS.Timeout
  readonly #outer?: AbortSignal
  readonly #onOuterAbort = (): void => { this.#abort(this.#outer?.reason) }

  constructor (roundMs: number, stepMs: number, outer?: AbortSignal) {
    // Every write that waits for the stream to drain leaves an abort listener on this signal
    // (p-event, inside @libp2p/utils, does not remove it once the stream drains); they go with
    // the round's signal when the round ends. The 10 k-record catch-up bench waited more than ten
    // times in one round, which Node reported as a possible leak; it is bounded by the round.
    setMaxListeners(Infinity, this.#controller.signal)
    this.#round = this.#roundTimer(roundMs)
    this.#step = setTimeout(() => { this.#abort(new SyncProtocolError(`sync round made no progress for ${stepMs} ms`)) }, stepMs)
    // Like AbortSignal.timeout's, these timers alone do not keep a process alive.
    this.#step.unref()
    if (outer != null) {
      this.#outer = outer
      if (outer.aborted) this.#abort(outer.reason)
      else outer.addEventListener('abort', this.#onOuterAbort, { once: true })
    }
  }

  #cleared = false

  /** The whole round may now take up to `ms` from now (a bulk round: see runSync). */
  extendRound (ms: number): void {
    if (this.#cleared) return
    clearTimeout(this.#round)
    this.#round = this.#roundTimer(ms)
  }

  /** The whole round's bound: `ms` from now. */
  #roundTimer (ms: number): NodeJS.Timeout {
    return setTimeout(() => { this.#abort(new SyncProtocolError(`sync round took longer than ${ms} ms`)) }, ms).unref()
  }

  /** The signal for the next step, whose own bound starts now (never re-armed once cleared). */
  step (): AbortSignal {
    if (!this.#cleared) this.#step.refresh()
    return this.#controller.signal
  }

  clear (): void {
    this.#cleared = true
    clearTimeout(this.#round)
    clearTimeout(this.#step)
    this.#outer?.removeEventListener('abort', this.#onOuterAbort)
  }

  #abort (reason: unknown): void {
    this.clear()
    this.#controller.abort(reason)
  }
}
