/**
 * The drill's nodes, in this process: real AccordNodes (ledger on disk, libp2p, gossip, sync),
 * started, cut off, killed and restarted on the runner's word.
 *
 * Cuts (partitions and offline members) are applied through each node's own gate
 * (`network.block`), on both ends of every cut link, so neither side dials nor accepts the
 * other; healing lifts them and each side redials the members it keeps.
 *
 * Warm-up: nodes start in batches, and each batch is ready when gossip runs on every link it
 * opened (the peer at the other end subscribed to the records topic). On one busy machine
 * libp2p's identify exchange can time out (5 s), after which gossipsub never learns the peer
 * speaks its protocol and that link carries no gossip; the warm-up closes such links so they
 * are dialed afresh, and counts these repairs in the report. It never touches links after the
 * timeline has started.
 */
import { join } from 'node:path'
import { AccordNode } from '../node/accord-node.ts'
import { RECORDS_TOPIC } from '../net/index.ts'
import type { DrillFederation } from './federation.ts'
import type { NetworkSpec } from './scenario-check.ts'
import type { Observations } from './observations.ts'
import { dialPlan, joinTargets, nodeLatencies } from './topology.ts'
import { pollUntil } from './poll.ts'

export interface SimClusterInit {
  fed: DrillFederation
  network: NetworkSpec
  /** Where each node's records.db goes. */
  dir: string
  obs: Observations
  /** Unique per run: memory-transport addresses live in one process-wide table. */
  runId: string
}

/** How long a batch of starting nodes may take to gossip before the next batch starts anyway. */
const BATCH_SETTLE_MS = 30_000
/** libp2p's identify times out after 5 s; a link with no gossip subscription well after that never will have one. */
const STALE_LINK_MS = 15_000

export interface WarmUpProgress { started: number, total: number, ready: number }

export class SimError extends Error {
  static override name = 'SimError'
  constructor (message: string) { super(message); this.name = 'SimError' }
}

export class SimCluster {
  readonly #init: SimClusterInit
  readonly #live = new Map<string, AccordNode>()
  readonly #detach = new Map<string, () => void>()
  readonly #listen = new Map<string, string>()
  readonly #addr = new Map<string, string>()
  readonly #targets = new Map<string, string[]>()
  readonly #latency: Map<string, number>
  readonly #applied = new Map<string, Set<string>>()
  #groups = new Map<string, number>()
  readonly #offline = new Set<string>()
  readonly killed = new Set<string>()
  /** Links closed during warm-up because gossip never started on them. */
  repairs = 0

  constructor (init: SimClusterInit) {
    this.#init = init
    this.#latency = nodeLatencies(init.fed.members, init.network)
    for (const [id, targets] of dialPlan(init.fed.founders, init.network.degree, init.network.seed)) this.#targets.set(id, targets)
  }

  get latencies (): ReadonlyMap<string, number> { return this.#latency }
  live (): string[] { return [...this.#live.keys()].sort() }
  isLive (id: string): boolean { return this.#live.has(id) }
  maybe (id: string): AccordNode | undefined { return this.#live.get(id) }

  node (id: string): AccordNode {
    const node = this.#live.get(id)
    if (node == null) throw new SimError(`${id} is not running${this.killed.has(id) ? ' (killed)' : ''}`)
    return node
  }

  /** Starts every founder, in batches, and waits until gossip runs on every link. */
  async startFounders (timeoutMs: number, onProgress: (p: WarmUpProgress) => void = () => {}): Promise<void> {
    const order = this.#init.fed.founders
    const batch = Math.max(4, Math.ceil(order.length / 8))
    const deadline = Date.now() + timeoutMs
    const progress = (started: number): void => onProgress({ started, total: order.length, ready: this.live().filter(id => this.gossipReady(id)).length })
    for (let i = 0; i < order.length; i += batch) {
      const ids = order.slice(i, i + batch)
      for (const id of ids) await this.start(id)
      progress(Math.min(order.length, i + batch))
      // Pace the start: the next batch waits (a while) for this one's links to carry gossip, so
      // handshakes do not pile up on the machine's cores.
      if (i > 0) await this.#settle(ids, Math.min(BATCH_SETTLE_MS, deadline - Date.now())).catch(() => undefined)
    }
    await this.#settle(order, Math.max(0, deadline - Date.now()), () => progress(order.length))
    await pollUntil(() => this.#everyNodeMeshed(), Math.max(1000, deadline - Date.now()), 'every node to join the gossip mesh')
    progress(order.length)
  }

  /**
   * Every live node holds a mesh peer that holds it back. A GRAFT puts the peer in the sender's
   * mesh at once, until the peer's PRUNE comes back, so one end's view alone can be a refusal in
   * flight.
   */
  #everyNodeMeshed (): boolean {
    const meshes = new Map(this.live().map(id => { const n = this.node(id); return [n.peerId, new Set(n.network.gossip.meshPeers())] }))
    return [...meshes].every(([peer, mesh]) => [...mesh].some(p => meshes.get(p)?.has(peer) === true))
  }

  /** Waits for gossip on every link of `ids`, closing links on which it can no longer start. */
  async #settle (ids: string[], timeoutMs: number, tick: () => void = () => {}): Promise<void> {
    let last = Date.now()
    await pollUntil(() => {
      if (ids.every(id => !this.#live.has(id) || this.gossipReady(id))) return true
      if (Date.now() - last > 2000) {
        last = Date.now()
        for (const id of ids) this.#repairStale(id)
        tick()
      }
      return false
    }, timeoutMs, 'gossip on every link', 100)
  }

  /** Closes the node's links that still carry no gossip STALE_LINK_MS after opening (the network's own watchdog, sooner). */
  #repairStale (id: string): void {
    this.repairs += this.#live.get(id)?.network.repairSilentLinks(STALE_LINK_MS) ?? 0
  }

  /** Every open link of the node carries gossip (its peer subscribed to the records topic). */
  gossipReady (id: string): boolean {
    const node = this.#live.get(id)
    if (node == null) return false
    const open = node.network.libp2p.getConnections().filter(c => c.status === 'open')
    const subscribed = new Set(node.network.libp2p.services.pubsub.getSubscribers(RECORDS_TOPIC).map(String))
    return open.length > 0 && open.every(c => subscribed.has(c.remotePeer.toString()))
  }

  /** Starts (or restarts, from its data) a member's node. */
  async start (id: string): Promise<AccordNode> {
    if (this.#live.has(id)) throw new SimError(`${id} is already running`)
    const { fed, network, dir, obs, runId } = this.#init
    const memory = network.transport === 'memory'
    const listen = this.#listen.get(id) ?? (memory ? `/memory/${runId}-${id}` : '/ip4/127.0.0.1/tcp/0')
    let targets = this.#targets.get(id)
    if (targets == null) this.#targets.set(id, targets = joinTargets(id, fed.founders, network.degree, network.seed))
    const bootstrap = targets.map(t => this.#addr.get(t) ?? (memory ? `/memory/${runId}-${t}/p2p/${fed.peerId(t)}` : undefined)).filter((a): a is string => a != null)
    const node = await AccordNode.create({
      id,
      seed: fed.key(id).seed,
      roster: fed.roster,
      settings: fed.settings,
      dbPath: join(dir, `${id}.db`),
      listen: [listen],
      bootstrap,
      transport: network.transport,
      ...(memory ? { memoryLatencyMs: this.#latency.get(id) ?? 0 } : {})
    })
    this.#detach.set(id, obs.attach(node))
    this.#live.set(id, node)
    this.killed.delete(id)
    this.#applied.set(id, new Set())
    await this.#applyCuts(id)
    await node.start()
    const addr = node.multiaddrs.find(a => a.startsWith(memory ? '/memory/' : '/ip4/'))
    if (addr == null) throw new SimError(`${id} listens nowhere`)
    this.#listen.set(id, addr.replace(/\/p2p\/.*$/, ''))
    this.#addr.set(id, addr.includes('/p2p/') ? addr : `${addr}/p2p/${node.peerId}`)
    return node
  }

  /**
   * Kills a node abruptly. In one process there is no SIGKILL, so it is emulated: the dialer is
   * silenced, every connection is aborted (peers see a reset, never a goodbye), then the parts are
   * released so the address can be reused. Nothing extra is flushed: gossip records not yet
   * committed are dropped (Ledger.crashNow), and SQLite in WAL mode has every committed record on
   * disk already, so the restarted node finds exactly what a crash leaves.
   * Returns how many records it held when it died.
   */
  async kill (id: string): Promise<number> {
    const node = this.node(id)
    this.#live.delete(id)
    this.#detach.get(id)?.()
    this.killed.add(id)
    node.network.dialer.stop()
    for (const c of node.network.libp2p.getConnections()) c.abort(new Error('killed'))
    node.ledger.crashNow()
    // Stopping waits for sync batches already read off the aborted links (the network never
    // admits a record after its ledger closes), so the count is what is on disk.
    await node.stop().catch(() => undefined)
    return node.ledger.size
  }

  async restart (id: string): Promise<AccordNode> {
    if (!this.killed.has(id)) throw new SimError(`${id} was not killed; only a killed node restarts`)
    return await this.start(id)
  }

  /** Splits the federation into groups that cannot reach each other. */
  async partition (groups: string[][]): Promise<void> {
    this.#groups = new Map(groups.flatMap((g, i) => g.map(id => [id, i] as [string, number])))
    await this.#applyAll()
  }

  async heal (): Promise<void> {
    this.#groups = new Map()
    await this.#applyAll()
  }

  async setOffline (id: string, offline: boolean): Promise<void> {
    if (offline) this.#offline.add(id)
    else this.#offline.delete(id)
    await this.#applyAll()
  }

  isOffline (id: string): boolean { return this.#offline.has(id) }

  /** Live nodes grouped by who can reach whom now: each partition group, each offline node alone. */
  components (): string[][] {
    const out = new Map<string, string[]>()
    for (const id of this.live()) {
      const key = this.#offline.has(id) ? `offline ${id}` : `group ${this.#groups.get(id) ?? '-'}`
      out.set(key, [...(out.get(key) ?? []), id])
    }
    return [...out.values()]
  }

  /** Who may not talk to whom now: a pair is cut if either end is offline or a partition divides them. */
  #cut (a: string, b: string): boolean {
    if (this.#offline.has(a) || this.#offline.has(b)) return true
    const ga = this.#groups.get(a)
    const gb = this.#groups.get(b)
    return ga != null && gb != null && ga !== gb
  }

  async #applyAll (): Promise<void> {
    await Promise.all(this.live().map(async id => { await this.#applyCuts(id) }))
  }

  async #applyCuts (id: string): Promise<void> {
    const node = this.#live.get(id)
    if (node == null) return
    const { fed } = this.#init
    const want = new Set(fed.ids.filter(o => o !== id && this.#cut(id, o)).map(o => fed.peerId(o)))
    const have = this.#applied.get(id) ?? new Set<string>()
    const add = [...want].filter(p => !have.has(p))
    const lift = [...have].filter(p => !want.has(p))
    this.#applied.set(id, want)
    if (add.length > 0) await node.network.block(add)
    if (lift.length > 0) node.network.unblock(lift)
  }

  /** Stops every running node gracefully. */
  async stopAll (): Promise<void> {
    const nodes = [...this.#live.entries()]
    this.#live.clear()
    for (const [id] of nodes) this.#detach.get(id)?.()
    await Promise.allSettled(nodes.map(async ([, node]) => { await node.stop() }))
  }
}

