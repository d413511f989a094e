/**
 * The view digest: SHA-256 over every chain's (origin, seq, head), in member-id order, then
 * every equivocation proof. Two nodes with the same digest hold the same records.
 */
import { createHash } from 'node:crypto'
import type { ChainTip } from './validate.ts'
import type { Fork } from './state.ts'

export type VersionVector = Record<string, { seq: number, head: string }>

export function viewDigest (vector: VersionVector, forks: Iterable<Fork> = []): string {
  const hash = createHash('sha256')
  for (const origin of Object.keys(vector).sort()) {
    const tip = vector[origin] as ChainTip
    hash.update(`${origin} ${tip.seq} ${tip.head}\n`)
  }
  for (const fork of [...forks].sort((a, b) => a.origin.localeCompare(b.origin))) {
    hash.update(`fork ${fork.origin} ${fork.seq} ${[...fork.ids].sort().join(' ')}\n`)
  }
  return hash.digest('hex')
}
