/**
 * The drill network's shape: who dials whom, and how much latency each node's links carry.
 *
 * Dialing: members start in roster order and each dials `degree` members chosen at random (from
 * the scenario's seed) among those already started, so the graph is connected and sparse, like
 * a federation that grew one member at a time; nodes learn of more members through sync.
 *
 * Latency: libp2p's memory transport delays every chunk a link carries by the latency of the
 * node that *listens* on that link, in both directions; it cannot delay each pair differently.
 * So each node gets the one-way latency a link of its region typically has — the mean, over all
 * other members, of the scenario's region-to-region latency — plus a fixed per-node jitter drawn
 * from the seed. A Europe↔Asia pair is thus delayed by the listening end's regional mean, not by
 * exactly the table's 120 ms; within a region links carry that mean too. Over TCP on loopback
 * nothing is delayed at all.
 */
import type { NetworkSpec } from './scenario-check.ts'

/** mulberry32: a tiny seeded generator, so the same scenario draws the same graph. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** For each member in start order, the earlier members it dials. */
export function dialPlan (order: string[], degree: number, seed: number): Map<string, string[]> {
  const random = seededRandom(seed)
  const plan = new Map<string, string[]>()
  for (const [i, id] of order.entries()) {
    const targets = new Set<string>()
    while (targets.size < Math.min(i, degree)) targets.add(order[Math.floor(random() * i)] as string)
    plan.set(id, [...targets])
  }
  return plan
}

/** Whom a member that joins later dials: `degree` of the given members, drawn from the seed and its id. */
export function joinTargets (id: string, among: string[], degree: number, seed: number): string[] {
  const random = seededRandom(seed + [...id].reduce((n, c) => n * 31 + c.charCodeAt(0), 7))
  const pool = [...among]
  const out: string[] = []
  while (out.length < Math.min(degree, pool.length)) out.push(pool.splice(Math.floor(random() * pool.length), 1)[0] as string)
  return out
}

/** The scenario's one-way latency between two regions. */
export function oneWayMs (spec: NetworkSpec, a: string, b: string): number {
  if (a === b) return spec.latency.withinMs
  const pair = spec.latency.pairs.find(p => (p.a === a && p.b === b) || (p.a === b && p.b === a))
  return pair?.ms ?? spec.latency.defaultMs
}

/** Each node's memory-transport latency (see the module comment); all 0 over TCP. */
export function nodeLatencies (members: Array<{ id: string, region: string }>, spec: NetworkSpec): Map<string, number> {
  const out = new Map<string, number>()
  const random = seededRandom(spec.seed ^ 0x5eed)
  for (const m of members) {
    const others = members.filter(o => o.id !== m.id)
    const mean = others.length === 0 ? 0 : others.reduce((sum, o) => sum + oneWayMs(spec, m.region, o.region), 0) / others.length
    const jitter = (random() * 2 - 1) * spec.jitterMs
    out.set(m.id, spec.transport === 'memory' ? Math.max(0, Math.round(mean + jitter)) : 0)
  }
  return out
}
