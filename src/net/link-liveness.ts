/**
 * Dead links are closed within a minute, not a quarter of an hour.
 *
 * A link can die without a word: a cable cut, a firewall that starts dropping packets, a route
 * withdrawn. Neither side gets a reset; TCP gives up only when its retransmissions run out
 * (~15 minutes on Linux), its keep-alive starts after 2 hours, libp2p's connection monitor is
 * off here (see libp2p-node.ts), and yamux's own keep-alive ping only logs when no answer comes.
 * Meanwhile the node counts the member as connected, the view shows it as agreeing on a digest
 * minutes old, and the dialer, which redials lost members, does nothing (measured in a walk with
 * each node in a network namespace: 2 to over 10 minutes with the link dropping every packet).
 *
 * So every `everyMs` each open link gets a yamux ping: one 12-byte frame on the connection, no
 * stream. A link that answers nothing for `timeoutMs` — no pong and not one byte of anything
 * else (on a slow link a pong may queue behind records; any data that arrives shows the link is
 * alive) — is aborted. Its member then shows as not connected, the operator is told, and the
 * dialer redials it with backoff. These pings also replace yamux's keep-alive (turned off in
 * libp2p-node.ts), which keeps firewall and NAT state alive the same way.
 */
import type { Connection } from '@libp2p/interface'
import type { AccordLibp2p } from './libp2p-node.ts'

export class LinkSilentError extends Error {
  static override name = 'LinkSilentError'
  constructor (message: string) { super(message); this.name = 'LinkSilentError' }
}

export interface LivenessOptions {
  /** @default 15000 */
  everyMs?: number
  /** @default 30000 */
  timeoutMs?: number
  /** Told of each link aborted for its silence. */
  onSilent?: (peer: string, silentMs: number) => void
}

/** What this module uses of a libp2p v3 connection's internals (checked before use). */
interface Pingable { muxer?: { ping?: (options?: { signal?: AbortSignal }) => Promise<number> }, maConn?: EventTarget }

export class LinkLiveness {
  readonly #libp2p: AccordLibp2p
  readonly #everyMs: number
  readonly #timeoutMs: number
  readonly #onSilent?: (peer: string, silentMs: number) => void
  /** Links with a ping out now. */
  readonly #pinging = new WeakSet<Connection>()
  #timer?: NodeJS.Timeout

  constructor (libp2p: AccordLibp2p, options: LivenessOptions = {}) {
    this.#libp2p = libp2p
    this.#everyMs = options.everyMs ?? 15_000
    this.#timeoutMs = options.timeoutMs ?? 30_000
    if (options.onSilent != null) this.#onSilent = options.onSilent
  }

  start (): void {
    this.#timer = setInterval(() => { this.check() }, this.#everyMs)
    this.#timer.unref()
  }

  stop (): void {
    if (this.#timer != null) clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Pings every open link that has no ping out (the timer calls this). */
  check (): void {
    for (const c of this.#libp2p.getConnections()) {
      if (c.status === 'open' && !this.#pinging.has(c)) void this.#ping(c)
    }
  }

  async #ping (c: Connection): Promise<void> {
    const { muxer, maConn } = c as unknown as Pingable
    if (typeof muxer?.ping !== 'function' || maConn == null) return
    this.#pinging.add(c)
    // Any bytes at all from the other side while the ping is out: the link lives.
    let heard = false
    const onMessage = (): void => { heard = true }
    maConn.addEventListener('message', onMessage)
    const start = Date.now()
    try {
      await muxer.ping({ signal: AbortSignal.timeout(this.#timeoutMs) })
    } catch (err) {
      if ((err as Error)?.name !== 'TimeoutError' || heard || c.status !== 'open') return
      const ms = Date.now() - start
      c.abort(new LinkSilentError(`no answer on this link for ${ms} ms`))
      this.#onSilent?.(c.remotePeer.toString(), ms)
    } finally {
      maConn.removeEventListener('message', onMessage)
      this.#pinging.delete(c)
    }
  }
}
