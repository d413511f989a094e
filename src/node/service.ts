/**
 * A running national node, from its config: key and charter checked, ledger and network
 * started, HTTP API listening, logs and metrics wired. `stop()` closes everything in order so
 * no accepted record is lost and the store closes cleanly.
 */
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { AccordNode } from './accord-node.ts'
import { KeyError, loadKey } from './keys.ts'
import { readCharter, rosterOf, CharterError, type Charter } from './charter.ts'
import { DB_FILE, ensureToken, lockDataDir } from './data-dir.ts'
import { createLogger, type Logger } from './logger.ts'
import { NodeMetrics } from './metrics.ts'
import type { NodeConfig } from './config.ts'
import { createApi, connectEvents } from '../api/server.ts'
import { EventLog } from '../api/event-log.ts'
import { memberPeerId } from '../net/peer-ids.ts'
import { isHostLocal, isLoopback } from '../net/addresses.ts'
import { twinKeyMessage } from './alarms.ts'

/**
 * Records fetched by sync in 5 s from which a catch-up is worth a progress line: a slow link
 * (512 kbit/s) moves ~300 in 5 s, and was silent for minutes at the 1,000 this was before.
 */
const CATCH_UP_REPORT_MIN = 100
/** A sync round that timed out with a member is told at most this often per member. */
const SYNC_FAILURE_REPORT_MS = 5 * 60_000

/**
 * The default listen address is loopback (safe for a first run); members on other hosts then
 * cannot dial this node, though its own dials out work and make it look healthy. What to tell the
 * operator when the bootstrap members are elsewhere, or nothing.
 */
export function loopbackListenWarning (listen: string[], bootstrap: string[]): string | undefined {
  const elsewhere = bootstrap.filter(a => !isHostLocal(a))
  if (!listen.every(isLoopback) || elsewhere.length === 0) return undefined
  return `this node listens on ${listen.join(', ')} only, while its bootstrap members are on other hosts (${elsewhere[0]}${elsewhere.length > 1 ? ', …' : ''}): they cannot dial it, only it them. Listen where they can reach it, e.g. --listen /ip4/0.0.0.0/tcp/4101 with --announce /ip4/<this host's address>/tcp/4101`
}

/** `tell(key)`: true at most once per `ms` for each key (a warning told once per member per spell). */
function oncePer (ms: number): (key: string) => boolean {
  const told = new Map<string, number>()
  return key => {
    const now = Date.now()
    if (now - (told.get(key) ?? -Infinity) < ms) return false
    told.set(key, now)
    return true
  }
}

export interface RunningNode {
  node: AccordNode
  charter: Charter
  api: FastifyInstance
  apiUrl: string
  token: string
  log: Logger
  stop: () => Promise<void>
}

/**
 * A listener that could not open, said in the operator's terms: which of the node's addresses,
 * and why (in use, or not an address of this machine). libp2p's own message suggests a
 * transport-manager setting that is not an Accord option.
 */
export function listenError (err: unknown, what: string): Error {
  // libp2p gathers each address's failure in `errors`; Node's own carry a code such as EADDRINUSE.
  const causes = [err, ...((err as { errors?: unknown[] }).errors ?? []), (err as { cause?: unknown }).cause].filter(e => e != null)
  const text = causes.map(e => `${String((e as { code?: unknown }).code ?? '')} ${String((e as Error).message ?? e)}`).join(' ')
  if (/EADDRINUSE|in use/i.test(text)) return new Error(`${what} is in use (another node or program is listening there)`)
  if (/EADDRNOTAVAIL|EACCES|failed to be listened on/i.test(text)) return new Error(`${what} cannot be opened: ${/EACCES/.test(text) ? 'a port below 1024 needs privileges' : 'not an address of this machine, or refused'}`)
  return err as Error
}

export async function startNodeService (config: NodeConfig, logDestination?: NodeJS.WritableStream): Promise<RunningNode> {
  const log = createLogger(config.id, config.logLevel as never, logDestination)
  const key = loadKey(config.data)
  if (key.id !== config.id) throw new KeyError(`the key in ${config.data} belongs to ${key.id}, not ${config.id}`)
  const charter = readCharter(config.charter)
  const listed = charter.members.find(m => m.id === config.id)
  // A member admitted after the charter is not in it: it learns of its admission by sync.
  if (listed == null && config.bootstrap.length === 0) throw new CharterError(`charter ${config.charter} does not list ${config.id}; a member admitted later starts with --bootstrap <a member's address> to learn of its admission`)
  if (listed != null && listed.publicKey !== key.key.publicKeyB64) throw new CharterError(`charter ${config.charter} lists another key for ${config.id} than the one in ${config.data}`)

  const release = lockDataDir(config.data)
  const token = ensureToken(config.data)
  const metrics = new NodeMetrics()
  let node: AccordNode | undefined
  // Two links with one member (dialled at once, before one-link-per-pair) die together: told once.
  const tellSilent = oncePer(10_000)
  try {
    node = await AccordNode.create({
      id: config.id,
      seed: key.key.seed,
      roster: rosterOf(charter),
      settings: charter.settings,
      dbPath: join(config.data, DB_FILE),
      listen: config.listen,
      announce: config.announce,
      bootstrap: config.bootstrap,
      observers: config.observers,
      addressBook: join(config.data, 'peers.json'),
      metricsRegistry: metrics.registry,
      onRefused: peer => {
        // A removed member is known by its key: say who it is.
        const removed = node?.ledger.roster.list().find(m => m.until != null && memberPeerId(m) === peer)
        if (removed != null) log.warn({ peer, member: removed.id }, `refused a connection with ${removed.id} (peer ${peer}): it was removed from the federation`)
        else log.warn({ peer }, `refused a connection with peer ${peer}: it is not a member in this node's roster (nor an observer)`)
      },
      onUnreachable: (target, reason, attempts) => {
        // A bootstrap address with a peer id is a member the roster names: say which.
        const member = node?.network.memberOf(target)
        const who = member != null ? `${member} (peer ${target})` : target
        log.warn({ target, ...(member != null ? { targetMember: member } : {}), attempts, reason }, `cannot reach bootstrap member ${who} (${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}): ${reason}`)
      },
      onLinkSilent: (peer, ms) => {
        if (!tellSilent(peer)) return
        const member = node?.network.memberOf(peer) ?? peer
        log.warn({ peer: member, silentMs: ms }, `the link with ${member} gave no sign of life for ${Math.round(ms / 1000)} s (no answer to a ping, nothing received): closed, and redialled with backoff; a network between the two may be dropping packets`)
      },
      onVerdict: a => { if (a.verdict === 'accept') metrics.gossipDeliveries.inc() }
    })
  } catch (err) {
    release()
    throw err
  }
  // The roster as this node's records left it (admissions and removals folded in).
  const member = node.ledger.roster.get(config.id)
  if (member != null && member.publicKey !== key.key.publicKeyB64) {
    await node.stop().catch(() => undefined)
    release()
    throw new CharterError(`the federation admitted ${config.id} with another key than the one in ${config.data}`)
  }
  if (member?.until != null) log.warn(`${config.id} was removed from the federation: its records past seq ${member.until} are void, and this node refuses to write`)
  if (member == null) log.warn(`${config.id} is not a member yet (not in the charter, and no admission in this node's records): waiting to learn of its admission by sync from ${config.bootstrap.join(', ')}; its writes are refused until then`)
  node.on('settled', (how, ms) => {
    const self = node?.ledger.roster.get(config.id)
    if (how === 'timeout' && (self == null || self.until != null)) log.warn({ ms }, `no member reached; ${config.id} is not a member in this node's records (observer, not admitted yet, or removed), so its writes are refused anyway`)
    else if (how === 'timeout') {
      // Members whose gates close this node's links at once: it may have been removed while away.
      const refusing = node?.refusingMembers() ?? []
      const why = refusing.length > 0 ? `; ${refusing.join(', ')} ${refusing.length === 1 ? 'closes' : 'close'} this node's links at once (their gates may not count it as a member: removed while it was away?), so what it writes may reach no one` : ''
      log.warn({ ms, ...(refusing.length > 0 ? { refusing } : {}) }, `no member reached: writing from this node's own records alone (if it was restored from an old backup, its next record can reuse a seq and freeze its chain)${why}`)
    }
    else if (how === 'stalled') log.warn({ ms }, 'members are connected but no sync round with them has started in 60 s: writing from this node\'s own records (if it was restored from an old backup, its next record can reuse a seq and freeze its chain)')
    else log.info({ how, ms }, 'writes open')
  })
  node.on('writesWaiting', why => { log.warn(`writes not open yet: ${why}`) })
  const events = new EventLog()
  connectEvents(node, events)
  node.on('record', r => { metrics.record(r); log.debug({ record: r.id, origin: r.origin, seq: r.seq, kind: r.kind }, 'record accepted') })
  node.on('alarm', a => {
    if (a.type === 'twin-key') log.error({ alarm: a }, `ALARM ${twinKeyMessage(config.id, a)}`)
    else log.warn({ alarm: a }, `ALARM ${a.type}`)
  })
  node.on('transition', t => {
    if (t.type === 'retracted') {
      const was = t.transition
      if ('member' in was) log.warn({ proposal: was.proposalId }, `${was.member}'s ${was.type === 'member.admitted' ? 'admission' : 'removal'} no longer holds (a competing membership change came first)`)
      else log.warn({ declaration: was.declarationId, model: was.modelId }, `${was.type} for ${was.modelId} no longer holds in this node's view (a record it rested on counts no more, such as the confirmation of a member removed since)`)
      return
    }
    if (!('member' in t)) return
    if (t.member !== config.id) log.info({ proposal: t.proposalId, approvals: t.approvals }, `${t.member} ${t.type === 'member.admitted' ? 'admitted to' : 'removed from'} the federation`)
    else if (t.type === 'member.removed') log.warn({ proposal: t.proposalId, approvals: t.approvals }, `${config.id} (this member) was removed from the federation: its later records are void, and this node refuses to write`)
    else log.info({ proposal: t.proposalId }, `${config.id} (this member) is admitted: writes are accepted`)
  })
  node.ledger.on('verdict', a => metrics.verdict(a))
  node.network.sync.on('synced', (peer, r, direction) => {
    metrics.syncRounds.inc({ direction })
    if (r.accepted > 0 || r.rejected > 0) log.info({ peer: node.network.memberOf(peer), direction, accepted: r.accepted, rejected: r.rejected, sent: r.sent, ms: r.ms }, 'sync round')
  })
  // A long catch-up (a node back after days away) says how it is going every 5 s.
  let fetched = 0
  // Counted per batch as it is admitted: a round that fails later keeps what it admitted.
  node.network.sync.on('admitted', admissions => {
    let n = 0
    for (const a of admissions) if (a.verdict === 'accept') n++
    fetched += n
    metrics.syncFetched.inc(n)
  })
  const progress = setInterval(() => {
    if (fetched >= CATCH_UP_REPORT_MIN) log.info({ fetched, held: node.ledger.size }, `catching up: ${fetched} records fetched by sync in the last 5 s, ${node.ledger.size} held`)
    fetched = 0
  }, 5_000)
  progress.unref()
  // A round cut short by a link closing is routine (debug); one that timed out means a slow or
  // failing link, which the operator should hear of (what it admitted stays; the next continues).
  const tellTimeout = oncePer(SYNC_FAILURE_REPORT_MS)
  node.network.sync.on('failed', (peer, err) => {
    metrics.syncFailures.inc()
    const who = node.network.memberOf(peer) ?? peer
    const timedOut = /took longer than|made no progress/.test(err.message)
    if (!timedOut || !tellTimeout(peer)) { log.debug({ peer: who, err: err.message }, 'sync round failed'); return }
    log.warn({ peer: who, err: err.message }, `a sync round with ${who} timed out (${err.message}): a slow or failing link? What it brought stays, and the next round goes on from there (told at most every 5 min per member)`)
  })
  node.on('equivocation', () => metrics.equivocations.inc())
  node.network.libp2p.addEventListener('peer:connect', e => log.info({ peer: node.network.memberOf(e.detail.toString()) ?? e.detail.toString() }, 'member connected'))
  node.network.libp2p.addEventListener('peer:disconnect', e => log.info({ peer: node.network.memberOf(e.detail.toString()) ?? e.detail.toString() }, 'member disconnected'))

  const api = createApi({ node, token, events, metrics, onInternalError: (err, request) => log.error({ err, request }, `internal error answering ${request}`) })
  try {
    await node.start().catch(err => { throw listenError(err, `P2P listen address ${config.listen.join(', ')}`) })
    await api.listen({ host: config.apiHost, port: config.apiPort }).catch(err => { throw listenError(err, `API address ${config.apiHost}:${config.apiPort}`) })
  } catch (err) {
    clearInterval(progress)
    await api.close().catch(() => undefined)
    await node.stop().catch(() => undefined)
    release()
    throw err
  }
  const address = api.server.address()
  const port = typeof address === 'object' && address != null ? address.port : config.apiPort
  const apiUrl = `http://${config.apiHost}:${port}`
  log.info({ peerId: node.peerId, listen: node.multiaddrs, api: apiUrl, records: node.ledger.size, digest: node.digest() }, 'node started')
  const unreachable = loopbackListenWarning(config.listen, config.bootstrap)
  if (unreachable != null) log.warn({ listen: config.listen }, unreachable)

  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      log.info('stopping')
      clearInterval(progress)
      await api.close().catch(err => log.error({ err }, 'closing API'))
      await node.stop()
      release()
      log.info({ records: node.ledger.size }, 'stopped cleanly')
    })()
    await stopping
  }
  return { node, charter, api, apiUrl, token, log, stop }
}
