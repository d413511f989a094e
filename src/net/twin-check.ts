/**
 * Two nodes running with one member's key: a data directory copied to a second machine, or a
 * backup restored while the original still runs. Both sign that member's records, and the first
 * seq both use is an equivocation that freezes the member's chain everywhere, for good. Nothing
 * else shows it before then: both nodes have the same peer id, so every gate lets both in.
 *
 * `/accord/twin/1.0.0` tells them apart. Every node draws a random boot id when it starts. When
 * a peer holds two or more open connections to this node (a simultaneous dial does that too),
 * this node asks over each connection, in one stream each, which boot answers there
 * (`{"ask":"boot"}` → `{"boot":"…"}`). Two different boots behind one peer id are two nodes.
 * It then tells every connection what it saw (`{"twins":[{addr, boot}, …]}`, or `{"twins":[]}`),
 * so each of the twins learns that another node uses its key, and where that node connects from;
 * a twin believes the notice only when its own boot is in it beside another. A connection that
 * does not answer within the timeout (a stale link of a node that crashed) is not counted.
 *
 * Nobody's writes are stopped by this: a notice comes from another member, and a member that
 * could stop another's writes could silence it. The operators are told instead (alarms), and
 * checks repeat for a peer seen with twins so the alarm stays fresh while both run.
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { lpStream } from '@libp2p/utils'
import type { Connection, Stream } from '@libp2p/interface'
import type { AccordLibp2p } from './libp2p-node.ts'

export const TWIN_PROTOCOL = '/accord/twin/1.0.0'
/** Frames are a boot id or a short list of addresses. */
const MAX_TWIN_FRAME_BYTES = 8192
/** A connection that cannot answer this fast is left out of a check. */
const TWIN_CHECK_TIMEOUT_MS = 5_000
/** A peer seen with twins is checked again this often while it keeps two connections. */
const TWIN_RECHECK_MS = 120_000

/** Nodes seen behind one peer id: where each connects from, and its boot id. */
export interface TwinSighting { peer: string, seen: Array<{ addr: string, boot: string }> }
/** A peer told this node that another node runs with this node's key. */
export interface TwinNotice { reporter: string, seen: Array<{ addr: string, boot: string }> }

const encode = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
const decode = (b: { subarray: () => Uint8Array }): unknown => JSON.parse(new TextDecoder().decode(b.subarray()))

function seenList (v: unknown): Array<{ addr: string, boot: string }> | undefined {
  const twins = (v as { twins?: unknown } | null)?.twins
  if (!Array.isArray(twins) || twins.length > 16) return undefined
  const ok = twins.every(t => typeof (t as { addr?: unknown }).addr === 'string' && typeof (t as { boot?: unknown }).boot === 'string')
  return ok ? (twins as Array<{ addr: string, boot: string }>).map(t => ({ addr: t.addr.slice(0, 256), boot: t.boot.slice(0, 64) })) : undefined
}

export interface TwinCheckEvents {
  /** A peer this node has seen running as two or more nodes. */
  twins: [sighting: TwinSighting]
  /** A peer seen with twins answers as one node again (or not at all). */
  twinsGone: [peer: string]
  /** Another node told this one that a second node runs with this node's key. */
  notice: [notice: TwinNotice]
  /** A node that had told this one so now sees it as one node. */
  noticeCleared: [reporter: string]
}

export class TwinCheck extends EventEmitter<TwinCheckEvents> {
  /** This process's boot id: a fresh one at every start. */
  readonly boot = randomBytes(8).toString('hex')
  readonly #libp2p: AccordLibp2p
  readonly #running = new Map<string, Promise<TwinSighting | undefined>>()
  readonly #again = new Set<string>()
  readonly #twinned = new Set<string>()
  #timer?: NodeJS.Timeout
  readonly #onOpen = (evt: CustomEvent<Connection>): void => { this.#maybeCheck(evt.detail.remotePeer.toString()) }
  readonly #onClose = (evt: CustomEvent<Connection>): void => {
    const peer = evt.detail.remotePeer.toString()
    if (this.#twinned.has(peer)) this.#maybeCheck(peer)
  }

  constructor (libp2p: AccordLibp2p) {
    super()
    this.#libp2p = libp2p
  }

  async start (): Promise<void> {
    await this.#libp2p.handle(TWIN_PROTOCOL, async (stream: Stream, connection: Connection) => { await this.#answer(stream, connection) }, { maxInboundStreams: 4 })
    this.#libp2p.addEventListener('connection:open', this.#onOpen)
    this.#libp2p.addEventListener('connection:close', this.#onClose)
    this.#timer = setInterval(() => { for (const peer of this.#twinned) this.#maybeCheck(peer) }, TWIN_RECHECK_MS)
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.#timer)
    this.#libp2p.removeEventListener('connection:open', this.#onOpen)
    this.#libp2p.removeEventListener('connection:close', this.#onClose)
    await this.#libp2p.unhandle(TWIN_PROTOCOL)
  }

  #openConnections (peer: string): Connection[] {
    return this.#libp2p.getConnections().filter(c => c.remotePeer.toString() === peer && c.status === 'open')
  }

  /**
   * Checks `peer` if it holds two or more connections, or was seen with twins (to learn that it
   * is one node again); one check per peer at a time, then one more if asked meanwhile.
   */
  #maybeCheck (peer: string): void {
    if (this.#openConnections(peer).length < 2 && !this.#twinned.has(peer)) return
    if (this.#running.has(peer)) { this.#again.add(peer); return }
    void this.check(peer).finally(() => { if (this.#again.delete(peer)) this.#maybeCheck(peer) })
  }

  /**
   * Asks every open connection of `peer` for its boot id and tells them all what was seen.
   * Resolves with the sighting when two or more nodes answered (and reports it), else undefined.
   */
  async check (peer: string): Promise<TwinSighting | undefined> {
    const running = this.#running.get(peer)
    if (running != null) return await running
    const job = this.#check(peer).finally(() => this.#running.delete(peer))
    this.#running.set(peer, job)
    return await job
  }

  async #check (peer: string): Promise<TwinSighting | undefined> {
    const signal = AbortSignal.timeout(TWIN_CHECK_TIMEOUT_MS)
    const asked = await Promise.all(this.#openConnections(peer).map(async c => {
      let stream: Stream | undefined
      try {
        stream = await c.newStream(TWIN_PROTOCOL, { signal })
        const lp = lpStream(stream, { maxDataLength: MAX_TWIN_FRAME_BYTES })
        await lp.write(encode({ ask: 'boot' }), { signal })
        const boot = (decode(await lp.read({ signal })) as { boot?: unknown } | null)?.boot
        if (typeof boot !== 'string') throw new Error('no boot id in the answer')
        return { stream, lp, addr: c.remoteAddr.toString().replace(/\/p2p\/[^/]+$/, ''), boot }
      } catch (err) {
        stream?.abort(err as Error)
        return undefined
      }
    }))
    const answered = asked.filter(a => a != null)
    const seen = answered.map(a => ({ addr: a.addr, boot: a.boot }))
    const twins = new Set(seen.map(s => s.boot)).size >= 2
    await Promise.all(answered.map(async a => {
      try {
        await a.lp.write(encode({ twins: twins ? seen : [] }), { signal })
        await a.stream.close({ signal })
      } catch (err) {
        a.stream.abort(err as Error)
      }
    }))
    if (!twins) {
      if (this.#twinned.delete(peer)) this.emit('twinsGone', peer)
      return undefined
    }
    this.#twinned.add(peer)
    const sighting = { peer, seen }
    this.emit('twins', sighting)
    return sighting
  }

  /** The asked side: says its boot id, then hears what the asker saw. */
  async #answer (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(TWIN_CHECK_TIMEOUT_MS)
    const lp = lpStream(stream, { maxDataLength: MAX_TWIN_FRAME_BYTES })
    try {
      if ((decode(await lp.read({ signal })) as { ask?: unknown } | null)?.ask !== 'boot') throw new Error('not a boot question')
      await lp.write(encode({ boot: this.boot }), { signal })
      const seen = seenList(decode(await lp.read({ signal })))
      await stream.close({ signal })
      const reporter = connection.remotePeer.toString()
      if (seen?.length === 0) this.emit('noticeCleared', reporter)
      // Believed only with this node's own boot in it beside another one.
      if (seen != null && seen.some(s => s.boot === this.boot) && seen.some(s => s.boot !== this.boot)) {
        this.emit('notice', { reporter, seen })
      }
    } catch (err) {
      stream.abort(err as Error)
    }
  }
}
