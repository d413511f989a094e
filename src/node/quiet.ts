/**
 * The process's quiet moments: when it has taken in no record for a short spell.
 *
 * Records arrive in bursts (one record reaches a node as a few copies, within milliseconds), and
 * while one is on its way every millisecond the process spends on something else is added to
 * that record's time to reach every node. Work that can wait a little (commits of gossip records,
 * young-generation garbage collection, gossipsub heartbeats, periodic anti-entropy rounds) is
 * better done between bursts: it costs the same CPU,
 * but a record is only delayed if it happens to arrive during that work, instead of every such
 * piece of work landing in the middle of some record's path (which is where allocation-triggered
 * collections always land). Nodes in one process share one heap and one thread, so there is one
 * `Quiet` per process.
 */
import { performance } from 'node:perf_hooks'
import type { QuietGate } from '../net/sync-scheduler.ts'

export class Quiet implements QuietGate {
  readonly quietMs: number
  readonly #now: () => number
  #last = Number.NEGATIVE_INFINITY
  #timer?: ReturnType<typeof setTimeout>
  #waiters: Array<() => void> = []
  #hooks: Array<{ hook: () => void, last: boolean }> = []

  /** `quietMs`: how long without a record counts as quiet; `now`: the clock (tests). */
  constructor (quietMs = 10, now: () => number = () => performance.now()) {
    this.quietMs = quietMs
    this.#now = now
  }

  /** A record was taken in. Cheap enough to call for every one. */
  touch (): void {
    this.#last = this.#now()
    if (this.#timer == null) this.#arm(this.quietMs)
  }

  isQuiet (): boolean {
    return this.#now() - this.#last >= this.quietMs
  }

  /**
   * Calls `hook` at every quiet moment that follows activity, after the hooks added before it
   * (or, with `last`, after all others: for work that cleans up after them). Returns the undo.
   */
  onQuiet (hook: () => void, last = false): () => void {
    const entry = { hook, last }
    this.#hooks.push(entry)
    this.#hooks.sort((a, b) => Number(a.last) - Number(b.last))
    return () => { this.#hooks = this.#hooks.filter(h => h !== entry) }
  }

  async whenQuiet (maxWaitMs: number): Promise<void> {
    if (this.isQuiet()) return
    await new Promise<void>(resolve => {
      let done = false
      const finish = (): void => {
        if (done) return
        done = true
        clearTimeout(deadline)
        resolve()
      }
      const deadline = setTimeout(() => {
        this.#waiters = this.#waiters.filter(w => w !== finish)
        finish()
      }, maxWaitMs)
      deadline.unref()
      // Not quiet means a record came less than quietMs ago, so touch() has armed the check.
      this.#waiters.push(finish)
    })
  }

  #arm (ms: number): void {
    this.#timer = setTimeout(() => { this.#check() }, ms)
    this.#timer.unref()
  }

  #check (): void {
    this.#timer = undefined
    const quietFor = this.#now() - this.#last
    if (quietFor < this.quietMs) {
      this.#arm(this.quietMs - quietFor)
      return
    }
    for (const { hook } of this.#hooks) {
      // Housekeeping only: a hook that fails must not keep the waiters (sync rounds) waiting.
      try { hook() } catch {}
    }
    const waiters = this.#waiters
    this.#waiters = []
    for (const resolve of waiters) resolve()
  }
}

let shared: Quiet | undefined

/** The process's one `Quiet`. */
export function processQuiet (): Quiet {
  shared ??= new Quiet()
  return shared
}
