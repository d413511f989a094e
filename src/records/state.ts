/**
 * The shared state: a pure function of the set of held records.
 *
 * Every object has exactly one writer (the member that registered or reported it), so its
 * history is ordered by that member's chain; everything else (corroborations, lineage links,
 * claims on the same id by different members) is a grow-only set. Records from different
 * origins therefore commute, and any arrival order folds to the same state.
 */
import type { HeldRecord } from './held.ts'
import { DEFAULT_SETTINGS, type FederationSettings } from './settings.ts'
import type { Member } from './roster.ts'

export interface ModelEntry {
  modelId: string
  /** The registering member: the only one that may update this model. */
  origin: string
  recordId: string
  registeredAt: number
  name: string
  developer: string
  jurisdiction: string
  stage: string
  trainingComputeFlop: number
  parameters: number
  openWeights: boolean
  parent?: { modelId: string, relation: string }
  weightsDigest?: string
  evaluations: Array<{ name: string, result: string, score?: number }>
  updates: Array<{ recordId: string, seq: number, time: number, changes: Record<string, unknown> }>
  /** A pause order by the registering member is in force. */
  paused: boolean
  /** Shut down (attested after a red line) or decommissioned: it can never be resumed. */
  terminated?: { reason: 'shutdown' | 'decommissioned', at: number, recordId: string }
  withdrawn?: { reason: string, at: number, recordId: string }
}

export interface IncidentEntry {
  incidentId: string
  origin: string
  recordId: string
  reportedAt: number
  modelIds: string[]
  severity: string
  harms: string[]
  title: string
  description: string
  occurredAt: number
  detectedAt: number
  status: string
  tlp: string
  updates: Array<{ recordId: string, seq: number, time: number, changes: Record<string, unknown> }>
  withdrawn?: { reason: string, at: number, recordId: string }
}

/** A signed statement by `origin` at `time` (ms, the origin's clock), kept once per origin. */
export interface Statement { origin: string, recordId: string, time: number, note?: string }

export interface DeclarationEntry extends Statement {
  declarationId: string
  modelId: string
  redline: string
  evidence: string
  incidentIds: string[]
}

export interface ShutdownEntry extends Statement { modelId: string, shutdownAt: number, verification: string, declarationId?: string }

export interface ProposalEntry extends Statement {
  proposalId: string
  action: 'admit' | 'remove'
  member: string
  card?: { id: string, name: string, publicKey: string, peerId: string }
  lastValidSeq?: number
  basis: number
  reason: string
}

export interface Vote extends Statement { approve: boolean }

export interface Corroboration { origin: string, recordId: string, time: number, note?: string }

export interface Fork { origin: string, seq: number, ids: [string, string] }

export class State {
  /** modelId → registering origin → entry; more than one origin is a naming conflict. */
  readonly models = new Map<string, Map<string, ModelEntry>>()
  /** parent modelId → ids of models registered as its copies or derivatives. */
  readonly children = new Map<string, Set<string>>()
  readonly incidents = new Map<string, Map<string, IncidentEntry>>()
  /** incidentId → corroborating origin → first corroboration (kept even before the incident arrives). */
  readonly corroborations = new Map<string, Map<string, Corroboration>>()
  readonly forks = new Map<string, Fork>()
  readonly countsByKind = new Map<string, number>()
  /** Records held but void (a removed member's, past its last valid seq): in no count above. */
  voided = 0
  /** declarationId → declaring origin → declaration. */
  readonly declarations = new Map<string, Map<string, DeclarationEntry>>()
  /** declarationId → confirming origin → its first confirmation (kept before the declaration arrives). */
  readonly confirmations = new Map<string, Map<string, Statement>>()
  /** modelId → attesting origin → shutdown attestation (only the registrant's counts). */
  readonly shutdowns = new Map<string, Map<string, ShutdownEntry>>()
  /** modelId → acknowledging origin → acknowledgement of the registrant's pause or shutdown. */
  readonly acknowledgements = new Map<string, Map<string, Statement & { order: string }>>()
  readonly proposals = new Map<string, Map<string, ProposalEntry>>()
  /** proposalId → voting origin → vote. */
  readonly votes = new Map<string, Map<string, Vote>>()
  /** What each origin's own chain has said about objects it owns (e.g. 'vote:p1'), for authorisation. */
  readonly said = new Map<string, Set<string>>()
  readonly settings: FederationSettings
  readonly genesis: Member[]
  /** Bumped whenever proposals or votes change, so derived membership is recomputed lazily. */
  governanceVersion = 0

  constructor (opts: { settings?: FederationSettings, genesis?: Member[] } = {}) {
    this.settings = opts.settings ?? DEFAULT_SETTINGS
    this.genesis = opts.genesis ?? []
  }

  /** Remembers that `origin` said `key` (its own chain); see `hasSaid`. */
  say (origin: string, key: string): void {
    let keys = this.said.get(origin)
    if (keys == null) this.said.set(origin, keys = new Set())
    keys.add(key)
  }

  hasSaid (origin: string, key: string): boolean {
    return this.said.get(origin)?.has(key) ?? false
  }

  owns (origin: string, cls: 'model' | 'incident' | 'declaration' | 'proposal', id: string): boolean {
    return this.#claims(cls, id)?.has(origin) ?? false
  }

  #claims (cls: 'model' | 'incident' | 'declaration' | 'proposal', id: string): Map<string, unknown> | undefined {
    switch (cls) {
      case 'model': return this.models.get(id)
      case 'incident': return this.incidents.get(id)
      case 'declaration': return this.declarations.get(id)
      case 'proposal': return this.proposals.get(id)
    }
  }

  count (record: HeldRecord): void {
    this.countsByKind.set(record.kind, (this.countsByKind.get(record.kind) ?? 0) + 1)
  }

  /** The primary claim on an id: the first by member id, so every node picks the same one. */
  model (id: string): ModelEntry | undefined { return primary(this.models.get(id)) }
  incident (id: string): IncidentEntry | undefined { return primary(this.incidents.get(id)) }
  declaration (id: string): DeclarationEntry | undefined { return primary(this.declarations.get(id)) }
  proposal (id: string): ProposalEntry | undefined { return primary(this.proposals.get(id)) }

  /** Origins other than the primary that used the same id. */
  conflicts (cls: 'model' | 'incident' | 'declaration' | 'proposal', id: string): string[] {
    const claims = this.#claims(cls, id)
    return claims == null ? [] : [...claims.keys()].sort().slice(1)
  }

  /** Every registered copy and derivative of a model, transitively (cycles are cut). */
  descendants (id: string): string[] {
    const seen = new Set<string>([id])
    const queue = [id]
    const out: string[] = []
    while (queue.length > 0) {
      const next = queue.shift() as string
      for (const child of this.children.get(next) ?? []) {
        if (seen.has(child)) continue
        seen.add(child)
        out.push(child)
        queue.push(child)
      }
    }
    return out.sort()
  }

  /** The chain of parents up to the root (as far as they are held). */
  ancestors (id: string): string[] {
    const out: string[] = []
    const seen = new Set<string>([id])
    let parent = this.model(id)?.parent?.modelId
    while (parent != null && !seen.has(parent)) {
      out.push(parent)
      seen.add(parent)
      parent = this.model(parent)?.parent?.modelId
    }
    return out
  }

  corroborationsOf (incidentId: string): Corroboration[] {
    return [...(this.corroborations.get(incidentId)?.values() ?? [])].sort((a, b) => a.origin.localeCompare(b.origin))
  }

  /** A deterministic plain-data picture of the whole state, for comparison and display. */
  snapshot (): Record<string, unknown> {
    const models: Record<string, unknown> = {}
    for (const id of [...this.models.keys()].sort()) {
      models[id] = { ...this.model(id), conflicts: this.conflicts('model', id), descendants: this.descendants(id) }
    }
    const incidents: Record<string, unknown> = {}
    for (const id of [...new Set([...this.incidents.keys(), ...this.corroborations.keys()])].sort()) {
      incidents[id] = { ...this.incident(id), conflicts: this.conflicts('incident', id), corroborations: this.corroborationsOf(id) }
    }
    const sortedMaps = <T>(m: Map<string, Map<string, T>>): Record<string, T[]> => Object.fromEntries([...m.keys()].sort().map(k => [k, [...(m.get(k) as Map<string, T>).entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v)]))
    return {
      models,
      incidents,
      declarations: sortedMaps(this.declarations),
      confirmations: sortedMaps(this.confirmations),
      shutdowns: sortedMaps(this.shutdowns),
      acknowledgements: sortedMaps(this.acknowledgements),
      proposals: sortedMaps(this.proposals),
      votes: sortedMaps(this.votes),
      forks: Object.fromEntries([...this.forks.entries()].sort(([a], [b]) => a.localeCompare(b))),
      counts: Object.fromEntries([...this.countsByKind.entries()].sort(([a], [b]) => a.localeCompare(b))),
      voided: this.voided
    }
  }
}

function primary<T> (claims: Map<string, T> | undefined): T | undefined {
  if (claims == null || claims.size === 0) return undefined
  const first = [...claims.keys()].sort()[0] as string
  return claims.get(first)
}
