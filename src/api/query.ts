import { ApiError } from './errors.ts'
import type { Roster } from '../records/index.ts'

/** Reads an optional non-negative integer query parameter, or says which one is wrong. */
export function intParam (query: Record<string, unknown>, name: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  const raw = query[name]
  if (raw == null || raw === '') return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new ApiError(400, 'bad-query', `${name} must be an integer from ${min} to ${max}`, name)
  return n
}

export function strParam (query: Record<string, unknown>, name: string): string | undefined {
  const raw = query[name]
  if (raw == null || raw === '') return undefined
  if (typeof raw !== 'string') throw new ApiError(400, 'bad-query', `${name} must be given once`, name)
  return raw
}

/** Reads an optional query parameter that must be one of `allowed`, or says which values it may take. */
export function oneOfParam (query: Record<string, unknown>, name: string, allowed: readonly string[]): string | undefined {
  const raw = strParam(query, name)
  if (raw != null && !allowed.includes(raw)) throw new ApiError(400, 'bad-query', `${name} must be one of ${allowed.map(a => `"${a}"`).join(', ')}`, name)
  return raw
}

/** Reads an optional query parameter naming a member (present or removed), or says it names none. */
export function memberParam (query: Record<string, unknown>, name: string, roster: Roster): string | undefined {
  const raw = strParam(query, name)
  if (raw != null && !roster.has(raw)) throw new ApiError(400, 'bad-query', `${name} "${raw}" is not a member; members: ${roster.list().map(m => m.id).join(', ')}`, name)
  return raw
}

/** Page of a sorted list: `limit` (default 50, at most 500) items from `offset`. */
export function page<T> (items: T[], query: Record<string, unknown>): { items: T[], total: number, next?: number } {
  const limit = intParam(query, 'limit', { min: 1, max: 500 }) ?? 50
  const offset = intParam(query, 'offset') ?? 0
  const slice = items.slice(offset, offset + limit)
  return { items: slice, total: items.length, ...(offset + limit < items.length ? { next: offset + limit } : {}) }
}
