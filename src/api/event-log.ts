/**
 * The node's live events for Server-Sent Events: every accepted record and every alarm, each
 * with an increasing id. The last `capacity` events are kept so a client that reconnects with
 * `Last-Event-ID` misses nothing that happened while it was away (within that window).
 *
 * An id is `<boot>.<n>`: `boot` names this run of the node (its start time, base 36), `n` counts
 * from 1. The events of an earlier run are gone after a restart, and its counter started over: a
 * client resuming with an id of another run (or a bare number) is sent every event held of this
 * run, which is everything it can have missed since the restart. So is a client resuming with an
 * id no node issues (`garbage`, `1.2.3`): nothing is missed, but it is told its id is not one, not
 * that the node restarted.
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
   * Where a client resuming from `lastId` stands: the events it missed that are still held,
   * whether some it missed are gone (dropped from the window), and whether its id is of another
   * run (`restarted`) or of none (`malformed`).
   */
  resume (lastId: string): { events: LiveEvent[], gap: boolean, restarted: boolean, malformed: boolean } {
    const id = /^([0-9a-z]+)\.(\d+)$/.exec(lastId)
    const first = this.#events[0]
    const n = id != null ? Number(id[2]) : NaN
    if (id == null || id[1] !== this.boot || !Number.isSafeInteger(n)) {
      // A bare number is an id from before ids named their run.
      const malformed = id == null ? !/^\d+$/.test(lastId) : !Number.isSafeInteger(n)
      return { events: this.#events.map(h => h.event), gap: first != null && first.n > 1, restarted: !malformed, malformed }
    }
    if (first == null || n >= this.#next - 1) return { events: [], gap: false, restarted: false, malformed: false }
    return { events: this.#events.slice(Math.max(0, n + 1 - first.n)).map(h => h.event), gap: n + 1 < first.n, restarted: false, malformed: false }
  }

  subscribe (fn: (e: LiveEvent) => void): () => void {
    this.#subscribers.add(fn)
    return () => this.#subscribers.delete(fn)
  }
}
