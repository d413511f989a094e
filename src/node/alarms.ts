/**
 * Alarms an operator must see at once: an equivocation (a member signed two stories), a
 * peer flooding us with records the validator rejects, and the disk refusing records the node
 * had accepted from gossip (they are fetched again by sync once the disk takes writes again).
 */
export type Alarm =
  | { type: 'equivocation', origin: string, seq: number, ids: [string, string], at: number }
  | { type: 'reject-flood', peer: string, member?: string, rejects: number, windowMs: number, lastCode: string, at: number }
  | { type: 'store-write-failed', error: string, lost: number, at: number }

/** Raises a flood alarm when one peer sends `threshold` rejected records within `windowMs`, at most once a minute per peer. */
export class FloodDetector {
  readonly #hits = new Map<string, number[]>()
  readonly #lastAlarm = new Map<string, number>()
  constructor (readonly threshold = 20, readonly windowMs = 10_000, readonly quietMs = 60_000) {}

  /** Counts one rejection from `peer`; returns how many in the window when an alarm is due. */
  hit (peer: string, now = Date.now()): number | undefined {
    const hits = (this.#hits.get(peer) ?? []).filter(t => now - t < this.windowMs)
    hits.push(now)
    this.#hits.set(peer, hits)
    if (hits.length < this.threshold || now - (this.#lastAlarm.get(peer) ?? -Infinity) < this.quietMs) return undefined
    this.#lastAlarm.set(peer, now)
    return hits.length
  }
}
