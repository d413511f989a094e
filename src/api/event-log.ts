/**
 * The node's live events for Server-Sent Events: every accepted record and every alarm, each
 * with an increasing id. The last `capacity` events are kept so a client that reconnects with
 * `Last-Event-ID` misses nothing that happened while it was away (within that window).
 *
 * An id is `<boot>.<n>`: `boot` names this run of the node (its start time, base 36), `n` counts
 * from 1. The events of an earlier run are gone after a restart, and its counter started over: a
 * client resuming with an id of another run (or a bare number) is sent every event held of this
 * run, which is everything it can have missed since the restart.
 */
export interface LiveEvent { id: string, event: string, data: unknown }

interface Held { n: number, event: LiveEvent }

export class EventLog {
  readonly #events: Held[] = []
  readonly #subscribers = new Set<(e: LiveEvent) => void>()
  readonly boot: string
  #next = 1

  /** @param capacity events kept for resuming clients; 10 000 is a busy hour of records. */
  constructor (readonly capacity = 10_000, bootAt = Date.now()) {
    this.boot = bootAt.toString(36)
  }

  push (event: string, data: unknown): LiveEvent {
    const n = this.#next++
    const e = { id: `${this.boot}.${n}`, event, data }
    this.#events.push({ n, event: e })
    if (this.#events.length > this.capacity) this.#events.shift()
    for (const fn of this.#subscribers) fn(e)
    return e
  }

  /**
   * Where a client resuming from `lastId` stands: the events it missed that are still held, and
   * whether some it missed are gone (dropped from the window).
   */
  resume (lastId: string): { events: LiveEvent[], gap: boolean, restarted: boolean } {
    const [boot, count] = lastId.split('.')
    const n = Number(count)
    const first = this.#events[0]
    if (boot !== this.boot || !Number.isInteger(n) || n < 0) {
      return { events: this.#events.map(h => h.event), gap: first != null && first.n > 1, restarted: true }
    }
    if (first == null || n >= this.#next - 1) return { events: [], gap: false, restarted: false }
    return { events: this.#events.slice(Math.max(0, n + 1 - first.n)).map(h => h.event), gap: n + 1 < first.n, restarted: false }
  }

  subscribe (fn: (e: LiveEvent) => void): () => void {
    this.#subscribers.add(fn)
    return () => this.#subscribers.delete(fn)
  }
}
