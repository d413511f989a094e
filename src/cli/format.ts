/** Human-readable lines for the CLI. */
import { twinKeyMessage } from '../node/alarms.ts'
const time = (ms: unknown): string => typeof ms === 'number' ? new Date(ms).toISOString().replace('.000Z', 'Z') : '?'

/** Training compute the way it is spoken of: 1e20, 3.5e25 (small counts as they are). */
function flop (n: unknown): string {
  return typeof n === 'number' && n >= 1e6 ? n.toExponential().replace('e+', 'e') : String(n)
}

function summary (kind: string, body: Record<string, unknown>): string {
  switch (kind) {
    case 'model.register': return `${String(body.modelId)} "${String(body.name)}" by ${String(body.developer)}, ${String(body.stage)}, ${flop(body.trainingComputeFlop)} FLOP`
    case 'incident.report': return `${String(body.incidentId)} [${String(body.severity).toUpperCase()}] ${String(body.title)} (models ${(body.modelIds as string[] | undefined)?.join(', ') ?? '?'})`
    default: {
      const id = body.modelId ?? body.incidentId ?? body.declarationId ?? body.proposalId
      return `${id != null ? String(id) + ' ' : ''}${JSON.stringify(body).slice(0, 100)}`
    }
  }
}

export function formatRecord (r: Record<string, unknown>): string {
  const line = `${time(r.time)}  ${String(r.origin).padEnd(4)} #${String(r.seq).padEnd(5)} ${String(r.kind).padEnd(22)} ${summary(String(r.kind), (r.body ?? {}) as Record<string, unknown>)}`
  return r.void === true ? `${line}  (VOID: written after its member was removed)` : line
}

/** One alarm as a sentence for node `self`'s operator (an alarm of a newer node: its JSON). */
export function formatAlarm (self: string, a: Record<string, unknown>): string {
  const list = (v: unknown): string[] => Array.isArray(v) ? v.map(String) : []
  switch (a.type) {
    case 'equivocation': return `${String(a.origin)} signed two records at seq ${String(a.seq)} (an equivocation): its chain is frozen there, the proof is held`
    case 'reject-flood': return `${String(a.member ?? a.peer)} sent ${String(a.rejects)} records the validator rejected within ${Math.round(Number(a.windowMs) / 1000)} s (last: ${String(a.lastCode)})`
    case 'store-write-failed': return `the disk refused ${String(a.lost)} accepted record(s) (${String(a.error)}): they are fetched again by sync once it takes writes`
    case 'twin-key': return twinKeyMessage(self, { member: String(a.member), reportedBy: String(a.reportedBy), nodes: Number(a.nodes), addrs: list(a.addrs) })
    default: return JSON.stringify(a)
  }
}

export function formatEvent (event: string, data: unknown, self = '?'): string {
  if (event === 'record') return formatRecord(data as Record<string, unknown>)
  if (event === 'alarm' && data != null && typeof data === 'object') return `${new Date().toISOString()}  ALARM  ${formatAlarm(self, data as Record<string, unknown>)}`
  if (event === 'notice') return `${new Date().toISOString()}  (${String(data)})`
  return `${new Date().toISOString()}  ${event.toUpperCase()}  ${JSON.stringify(data)}`
}

export interface ViewJson { id: string, digest: string, vector: Record<string, { seq: number }>, counts: Record<string, number>, voided?: number, held?: number, peers: Array<{ id: string, connected: boolean, addr?: string, refuses?: boolean, answered?: boolean, digest?: string, agrees?: boolean, seenAt?: number }>, frozen?: Array<{ origin: string, seq: number }>, twins?: Array<{ member: string, reportedBy: string, nodes: number, addrs: string[] }> }

/**
 * What `accord view --check` fails on, for monitoring: an empty list when every other member is
 * connected and agrees, no chain is frozen and no member's key is in use by two nodes.
 */
export function viewProblems (v: ViewJson): string[] {
  const out: string[] = []
  if ((v.frozen ?? []).length > 0) out.push(`${(v.frozen ?? []).length} chain(s) frozen by an equivocation`)
  const twinned = [...new Set((v.twins ?? []).map(t => t.member))]
  if (twinned.length > 0) out.push(`key in use by two nodes: ${twinned.join(', ')}`)
  const away = v.peers.filter(p => !p.connected).map(p => p.id)
  if (away.length > 0) out.push(`not connected: ${away.join(', ')}`)
  // A connected member that did not answer just now: its agreement is only as of its last hello.
  const mute = v.peers.filter(p => p.connected && p.answered === false).map(p => p.id)
  if (mute.length > 0) out.push(`connected but not answering: ${mute.join(', ')}`)
  const differ = v.peers.filter(p => p.connected && p.answered !== false && p.agrees !== true).map(p => p.id)
  if (differ.length > 0) out.push(`differ: ${differ.join(', ')}`)
  return out
}

/** When a member that does not answer now last showed its digest, and whether it agreed then. */
function lastSeen (p: ViewJson['peers'][number]): string {
  if (p.seenAt == null || p.agrees == null) return ''
  return ` (${p.agrees ? 'agreed' : 'differed'} ${Math.max(0, Math.round((Date.now() - p.seenAt) / 1000))} s ago)`
}

export function formatView (v: ViewJson): string {
  const counted = Object.values(v.counts).reduce((a, b) => a + b, 0)
  const voided = (v.voided ?? 0) > 0 ? ` (+${String(v.voided)} void)` : ''
  // Held on disk but in no count: a frozen chain's records past its fork (they stay, as evidence).
  const pastFork = (v.held ?? 0) - counted - (v.voided ?? 0)
  const frozenNote = pastFork > 0 && (v.frozen ?? []).length > 0 ? ` (+${pastFork} held past a frozen chain's fork, counted for nothing)` : ''
  const lines = [`node ${v.id}  digest ${v.digest.slice(0, 16)}…  records ${counted}${voided}${frozenNote}`]
  lines.push(`chains: ${Object.entries(v.vector).map(([o, t]) => `${o}:${t.seq}`).join(' ') || '(none)'}`)
  for (const f of v.frozen ?? []) lines.push(`ALARM ${f.origin} signed two records at seq ${f.seq} (an equivocation): its chain is frozen there, the proof is held`)
  for (const t of v.twins ?? []) lines.push(`ALARM ${twinKeyMessage(v.id, t)}`)
  for (const p of v.peers) {
    const state = !p.connected ? (p.refuses === true ? 'not connected: refuses this node' : 'not connected') : p.answered === false ? `connected, not answering${lastSeen(p)}` : p.agrees === true ? 'agrees' : p.agrees === false ? 'differs (catching up)' : 'connected'
    lines.push(`  ${p.id.padEnd(5)} ${state}${p.connected && p.addr != null ? `  via ${p.addr}` : ''}`)
  }
  const connected = v.peers.filter(p => p.connected)
  const away = v.peers.length - connected.length
  const agreeing = connected.filter(p => p.agrees === true && p.answered !== false)
  const agreement = connected.length > 0 && agreeing.length === connected.length ? 'all connected members agree' : `${agreeing.length}/${connected.length} connected members agree`
  if (v.peers.length === 0) lines.push('no other member in this node\'s roster')
  else if (connected.length === 0 && v.peers.some(p => p.refuses === true)) {
    const refusing = v.peers.filter(p => p.refuses === true).map(p => p.id)
    lines.push(`ALARM no member connected, and ${refusing.join(', ')} ${refusing.length === 1 ? 'refuses' : 'refuse'} this node's links: this member may have been removed from the federation, or not admitted yet; its records reach no one (ask another member's operator)`)
  } else if (connected.length === 0) lines.push(`no member connected (${v.peers.length} other ${v.peers.length === 1 ? 'member' : 'members'}; see the node's log for why)`)
  else lines.push(away > 0 ? `${agreement}; ${away} of ${v.peers.length} other members not connected` : agreement)
  return lines.join('\n')
}

