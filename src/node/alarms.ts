/**
 * Alarms an operator must see at once: an equivocation (a member signed two stories), a
 * peer flooding us with records the validator rejects, the disk refusing records the node
 * had accepted from gossip (they are fetched again by sync once the disk takes writes again),
 * and one member's key in use by two running nodes (`twin-key`: seen here, or reported to this
 * node about its own key; if both nodes write, the member's chain freezes for good).
 */
export type Alarm =
  | { type: 'equivocation', origin: string, seq: number, ids: [string, string], at: number }
  | { type: 'reject-flood', peer: string, member?: string, rejects: number, windowMs: number, lastCode: string, at: number }
  | { type: 'store-write-failed', error: string, lost: number, at: number }
  | TwinKeyAlarm

/**
 * `member`'s key is in use by `nodes` running nodes, connecting from `addrs` (one per link), as
 * `reportedBy` saw them (this node's own id when seen here).
 */
export interface TwinKeyAlarm { type: 'twin-key', member: string, reportedBy: string, nodes: number, addrs: string[], at: number }

/** What a twin-key sighting means, and what to do, as said to the operator of node `self`. */
export function twinKeyMessage (self: string, t: Pick<TwinKeyAlarm, 'member' | 'reportedBy' | 'nodes' | 'addrs'>): string {
  const where = `links from ${t.addrs.join(', ')}`
  return t.member === self
    ? `another node is running with this member's key (${t.reportedBy} sees ${t.nodes} nodes as ${self}, ${where}): stop all but one before both write, or ${self}'s chain freezes for good`
    : `${t.nodes} nodes are running with ${t.member}'s key (${where}): if both write, ${t.member}'s chain freezes for good; tell ${t.member}'s operator`
}

/**
 * Twin-key sightings: the view shows each (member, reporter) pair seen within `freshMs`; an
 * alarm is raised at the first sighting and then at most once per `quietMs` per pair (checks
 * repeat every two minutes while both nodes run).
 */
export class TwinAlarms {
  readonly #seen = new Map<string, TwinKeyAlarm>()
  /** When each pair was last alarmed, kept through clears: a twin whose links flap is alarmed once per quietMs. */
  readonly #alarmedAt = new Map<string, number>()
  constructor (readonly freshMs = 15 * 60_000, readonly quietMs = 10 * 60_000) {}

  /** Notes a sighting; returns the alarm when one is due. */
  note (member: string, reportedBy: string, nodes: number, addrs: string[], now = Date.now()): TwinKeyAlarm | undefined {
    const key = `${member}\u0000${reportedBy}`
    const alarm: TwinKeyAlarm = { type: 'twin-key', member, reportedBy, nodes, addrs, at: now }
    const due = now - (this.#alarmedAt.get(key) ?? -Infinity) >= this.quietMs
    this.#seen.set(key, alarm)
    if (due) this.#alarmedAt.set(key, now)
    return due ? alarm : undefined
  }

  /** `reportedBy` sees `member` as one node again. */
  clear (member: string, reportedBy: string): void {
    this.#seen.delete(`${member}\u0000${reportedBy}`)
  }

  /** Sightings younger than `freshMs`, by member then reporter. */
  current (now = Date.now()): TwinKeyAlarm[] {
    return [...this.#seen.values()].filter(a => now - a.at < this.freshMs)
      .sort((a, b) => a.member.localeCompare(b.member) || a.reportedBy.localeCompare(b.reportedBy))
  }
}

/** Raises a flood alarm when one peer sends `threshold` rejected records within `windowMs`, at most once a minute per peer. */
export class FloodDetector {
  readonly #hits = new Map<string, number[]>()
  readonly #lastAlarm = new Map<string, number>()
  constructor (readonly threshold = 20, readonly windowMs = 10_000, readonly quietMs = 60_000) {}

  /** Counts one rejection from `peer`; returns how many in the window when an alarm is due. */
  hit (peer: string, now = Date.now()): number | undefined {
    const hits = (this.#hits.get(peer) ?? []).filter(t => now - t < this.windowMs)
    hits.push(now)
    this.#hits.set(peer, hits)
    if (hits.length < this.threshold || now - (this.#lastAlarm.get(peer) ?? -Infinity) < this.quietMs) return undefined
    this.#lastAlarm.set(peer, now)
    return hits.length
  }
}
