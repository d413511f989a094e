/**
 * When a node's writes open after a start.
 *
 * A node restored from an old backup, or whose `records.db` was lost or damaged, does not know
 * how far its own chain goes: its next record would reuse a seq it already signed, and two
 * records at one seq are an equivocation that freezes the member's chain everywhere, for good.
 * So writes wait until a member has told it, in a sync round's hello, how much of this member's
 * chain it holds, and this node holds at least that much once that round is done (a hello
 * counts as soon as it is read: a long first round does not let the timers below open writes).
 * A round that ends short of it (a round stops at 50 000 records; the chain may be long) is
 * followed by another with the same member, for as long as each one brings more of the chain.
 *
 * Writes open without that only when no member can tell: no other current member at all
 * (`alone`), or none connected once `settleMs` has passed since the start (`timeout`: the node
 * is cut off, and a record it writes reaches the others later by sync), or members connected but
 * no hello from any of them within `stallMs` (`stalled`: sync is failing). Never while
 * a member is known to hold more of this member's chain than this node does: that write would
 * certainly equivocate; and never while the node's own mark says it signed more than it holds
 * (own-chain-mark.ts: its store was lost or restored, and no member has been reached to say more).
 */
import type { Ledger } from '../store/ledger.ts'
import type { Hello } from '../net/index.ts'

export type WritesOpen = 'synced' | 'alone' | 'timeout' | 'stalled'

/** Refused because writes are not open yet (see WriteGate). The API answers 503. */
export class WritesNotOpenError extends Error {
  static override name = 'WritesNotOpenError'
  constructor (message: string) { super(message); this.name = 'WritesNotOpenError' }
}

export interface WriteGateInit {
  self: string
  ledger: Ledger
  /** Member ids with an open link now. */
  connectedMembers: () => string[]
  /** Another round with `peer` (a peer id). */
  again: (peer: string) => void
  memberOf: (peer: string) => string | undefined
  /** With no member connected this long after the start, writes open (`timeout`). */
  settleMs: number
  /** With members connected but no hello from any of them this long after the start, writes open (`stalled`). */
  stallMs: number
  opened: (how: WritesOpen, ms: number) => void
  /** Still closed at a check (every `settleMs`): why, for the log. */
  waiting?: (why: string) => void
  /** The highest seq this node marked as signed before (own-chain-mark.ts), and where the mark is. */
  signedUpTo?: { seq: number, mark: string }
}

export class WriteGate {
  readonly #init: WriteGateInit
  readonly #opened = Promise.withResolvers<void>()
  readonly #started = performance.now()
  #open = false
  #timer?: NodeJS.Timeout
  #hellos = 0
  /** The most of this member's chain a member said it holds, and who. */
  #ahead?: { member: string, seq: number }
  /** Own seq after the last round with each peer: another round only if it grew. */
  readonly #lastOwn = new Map<string, number>()

  constructor (init: WriteGateInit) {
    this.#init = init
  }

  get isOpen (): boolean { return this.#open }
  get opened (): Promise<void> { return this.#opened.promise }

  /** Opens at once if there is no other member to ask; else checks every `settleMs`. */
  start (hasOtherMembers: boolean): void {
    if (!hasOtherMembers) { this.#openNow('alone'); return }
    this.#timer = setInterval(() => { this.#check() }, this.#init.settleMs)
    this.#timer.unref()
  }

  /** Opens any write still waiting (the node is stopping; the write then fails on the closed store). */
  stop (): void {
    clearInterval(this.#timer)
    this.#opened.resolve()
  }

  #ownSeq (): number { return this.#init.ledger.vector()[this.#init.self]?.seq ?? 0 }

  /**
   * Told of every hello as a round starts: how far that member holds this member's chain. Writes
   * open when this node holds at least as much as any member has said.
   */
  onHello (peer: string, hello: Hello): void {
    if (this.#open) return
    this.#hellos++
    const theirs = hello.vector[this.#init.self]?.seq ?? 0
    if (theirs > (this.#ahead?.seq ?? 0)) this.#ahead = { member: this.#init.memberOf(peer) ?? peer, seq: theirs }
    this.#openIfCaughtUp()
  }

  /**
   * Told of every completed sync round, either direction (its hello came first): open if it
   * brought the rest of the chain, else another round if it brought more of it.
   */
  onRound (peer: string): void {
    this.#openIfCaughtUp()
    if (this.#open) return
    const own = this.#ownSeq()
    const before = this.#lastOwn.get(peer)
    this.#lastOwn.set(peer, own)
    if (before == null || own > before) this.#init.again(peer)
  }

  #openIfCaughtUp (): void {
    // A chain frozen by an equivocation takes no more writes anyway (409 chain-frozen).
    if (this.#ownSeq() >= (this.#ahead?.seq ?? 0) || this.#init.ledger.state.forks.has(this.#init.self)) this.#openNow('synced')
  }

  #check (): void {
    if (this.#open) return
    const own = this.#ownSeq()
    if (this.#ahead != null && this.#ahead.seq > own) {
      this.#init.waiting?.(`fetching this member's own records: this node holds its chain up to seq ${own}, ${this.#ahead.member} up to ${this.#ahead.seq}; writes stay closed until it has them`)
      return
    }
    if (this.#lostOwn(own)) {
      this.#init.waiting?.(this.reason())
      return
    }
    const connected = this.#init.connectedMembers()
    if (connected.length === 0) { this.#openNow('timeout'); return }
    if (this.#hellos === 0 && performance.now() - this.#started >= this.#init.stallMs) { this.#openNow('stalled'); return }
    this.#init.waiting?.(`waiting for a first sync round with ${connected.join(', ')} to learn how far this member's own chain goes`)
  }

  /** Whether this node signed more of its chain than it holds, and no member has spoken yet. */
  #lostOwn (own: number): boolean {
    return this.#hellos === 0 && (this.#init.signedUpTo?.seq ?? 0) > own
  }

  /** Why writes are not open, for a refused write. */
  reason (): string {
    const own = this.#ownSeq()
    const signed = this.#init.signedUpTo
    if (signed != null && this.#lostOwn(own)) return `this node signed its member's chain up to seq ${signed.seq} but holds it only up to seq ${own} (its records were lost or restored), and no member has been reached to send the rest: writes wait for one (writing now would reuse a seq and freeze the chain); if those records are lost for good and no member holds them, remove ${signed.mark} to write from seq ${own + 1}`
    if (this.#ahead != null && this.#ahead.seq > own) return `this node is still fetching its member's own records from members (it holds the chain up to seq ${own}, ${this.#ahead.member} up to ${this.#ahead.seq}); writing now would reuse a seq and freeze the chain; retry once it has caught up`
    return 'this node has not yet learnt from a member how far its member\'s own chain goes (a sync round after the start); retry shortly'
  }

  #openNow (how: WritesOpen): void {
    if (this.#open) return
    this.#open = true
    clearInterval(this.#timer)
    this.#opened.resolve()
    this.#init.opened(how, Math.round(performance.now() - this.#started))
  }
}
