/** Durations in scenarios: `250ms`, `2s`, `1.5m`, `1h`, or a plain number of milliseconds. */
export const DURATION_PATTERN = '^\\d+(\\.\\d+)?\\s*(ms|s|m|h)$'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

export function parseDuration (value: string | number): number {
  if (typeof value === 'number') return value
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(value.trim())
  if (match == null) throw new TypeError(`"${value}" is not a duration like 500ms, 2s, 1m or 1h`)
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number))
}

/** A duration for people: 850 ms, 2.4 s, 3.1 min, 24.0 h. */
export function formatMs (ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 120_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`
  return `${(ms / 3_600_000).toFixed(1)} h`
}
