/**
 * The node's live events for Server-Sent Events: every accepted record and every alarm, each
 * with an increasing id. The last `capacity` events are kept so a client that reconnects with
 * `Last-Event-ID` misses nothing that happened while it was away (within that window).
 */
export interface LiveEvent { id: number, event: string, data: unknown }

export class EventLog {
  readonly #events: LiveEvent[] = []
  readonly #subscribers = new Set<(e: LiveEvent) => void>()
  #next = 1

  /** @param capacity events kept for resuming clients; 10 000 is a busy hour of records. */
  constructor (readonly capacity = 10_000) {}

  push (event: string, data: unknown): LiveEvent {
    const e = { id: this.#next++, event, data }
    this.#events.push(e)
    if (this.#events.length > this.capacity) this.#events.shift()
    for (const fn of this.#subscribers) fn(e)
    return e
  }

  /** Events after `lastId` still held (all held when `lastId` is undefined: nothing). */
  since (lastId: number): LiveEvent[] {
    const first = this.#events[0]
    if (first == null || lastId >= this.#next - 1) return []
    return this.#events.slice(Math.max(0, lastId + 1 - first.id))
  }

  /** Whether events after `lastId` were already dropped from the window. */
  missed (lastId: number): boolean {
    const first = this.#events[0]
    return first != null && lastId + 1 < first.id
  }

  subscribe (fn: (e: LiveEvent) => void): () => void {
    this.#subscribers.add(fn)
    return () => this.#subscribers.delete(fn)
  }
}
