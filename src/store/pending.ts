/**
 * Records that arrived ahead of a gap in their chain: verified, kept in memory, released in
 * order when the gap fills. Bounded per origin and in total, so a peer cannot fill memory with
 * far-future records; when full, new arrivals are dropped (sync fetches them again later).
 */
export interface PendingLimits {
  /** @default 10000 — a busy day of one origin's records. */
  perOrigin?: number
  /** @default 50000 — about 50 MiB of 1 KiB records across all origins. */
  total?: number
}

export class PendingBuffer {
  readonly #byOrigin = new Map<string, Map<number, Uint8Array>>()
  readonly #perOrigin: number
  readonly #total: number
  #size = 0

  constructor (limits: PendingLimits = {}) {
    this.#perOrigin = limits.perOrigin ?? 10_000
    this.#total = limits.total ?? 50_000
  }

  get size (): number { return this.#size }

  /** Keeps the bytes of `origin`'s record `seq`; false when a bound is reached. */
  add (origin: string, seq: number, bytes: Uint8Array): boolean {
    let chain = this.#byOrigin.get(origin)
    if (chain?.has(seq) === true) return true
    if (this.#size >= this.#total || (chain?.size ?? 0) >= this.#perOrigin) return false
    if (chain == null) this.#byOrigin.set(origin, chain = new Map())
    chain.set(seq, bytes)
    this.#size++
    return true
  }

  /** Removes and returns the record waiting at `origin`/`seq`, if any. */
  take (origin: string, seq: number): Uint8Array | undefined {
    const chain = this.#byOrigin.get(origin)
    const bytes = chain?.get(seq)
    if (chain == null || bytes == null) return undefined
    chain.delete(seq)
    this.#size--
    if (chain.size === 0) this.#byOrigin.delete(origin)
    return bytes
  }

  /** Drops everything at or below `seq` for `origin` (already held, or beyond a frozen fork). */
  prune (origin: string, below: (seq: number) => boolean): void {
    const chain = this.#byOrigin.get(origin)
    if (chain == null) return
    for (const seq of [...chain.keys()]) {
      if (below(seq)) { chain.delete(seq); this.#size-- }
    }
    if (chain.size === 0) this.#byOrigin.delete(origin)
  }
}
