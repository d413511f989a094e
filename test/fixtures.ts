/** Test fixtures: a federation with deterministic keys, and chains written without a node. */
import { createHash } from 'node:crypto'
import { authorRecord, Roster, SigningKey, type Authored, type ChainTip } from '../src/records/index.ts'
import { pollUntil } from '../src/sim/poll.ts'

export function seedFor (id: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`accord-test-key:${id}`).digest())
}

export interface Federation { roster: Roster, keys: Map<string, SigningKey>, ids: string[] }

export const DEMO_IDS = ['US', 'GB', 'EU', 'JP', 'CA', 'FR', 'DE', 'KR', 'SG', 'AU', 'IN', 'KE', 'BR', 'NG', 'MX', 'ZA', 'AE', 'IL', 'CH', 'NO']

export function federation (ids: string[] = DEMO_IDS.slice(0, 5)): Federation {
  const keys = new Map(ids.map(id => [id, new SigningKey(seedFor(id))]))
  const roster = new Roster(ids.map(id => ({ id, name: `${id} AI Safety Institute`, publicKey: (keys.get(id) as SigningKey).publicKeyB64 })))
  return { roster, keys, ids }
}

/** Writes chains for several origins, tracking each tip like a node would. */
export class Writer {
  readonly tips = new Map<string, ChainTip>()
  constructor (readonly fed: Federation) {}

  write (origin: string, kind: string, body: object, time = 1_790_000_000_000): Authored {
    const key = this.fed.keys.get(origin)
    if (key == null) throw new Error(`no key for ${origin}`)
    const out = authorRecord(key, origin, this.tips.get(origin), kind, body, time)
    this.tips.set(origin, { seq: out.record.seq, head: out.record.id })
    return out
  }
}

export function modelBody (origin: string, modelId: string, extra: object = {}): object {
  return { modelId, name: `Model ${modelId}`, developer: 'Lab', jurisdiction: origin, stage: 'training', trainingComputeFlop: 1e24, parameters: 1000, openWeights: false, ...extra }
}

export function incidentBody (incidentId: string, modelIds: string[], extra: object = {}): object {
  return { incidentId, modelIds, severity: 'serious', harms: ['cyber'], title: 'Something happened', description: 'Details.', occurredAt: 1_790_000_000_000, detectedAt: 1_790_000_100_000, status: 'open', tlp: 'GREEN', ...extra }
}

/** Polls `condition` until true, failing after `timeoutMs` with `what` in the message. */
export async function waitFor (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, intervalMs = 25): Promise<void> {
  await pollUntil(condition, timeoutMs, what, intervalMs)
}
