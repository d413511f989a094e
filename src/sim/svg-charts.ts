/**
 * Charts as plain SVG text, written by hand (no chart library, no image service): a box plot,
 * panels of bars, a timeline of ranges, and step lines. Each function returns a whole SVG
 * document; sizes grow with the number of rows so a 193-node drill stays legible.
 */
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563']
const KIND_COLOR: Record<string, string> = { declared: '#d97706', confirmed: '#dc2626', 'shut-down': '#16a34a', overdue: '#7f1d1d' }

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const r1 = (n: number): string => String(Math.round(n * 10) / 10)

function doc (width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="15" font-weight="600" fill="#111827">${esc(title)}</text>`,
    ...body,
    '</svg>\n'
  ].join('\n')
}

/** Round tick values spanning [0, max]. */
export function niceTicks (max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1]
  const raw = max / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 2.5, 5, 10].find(m => m * mag >= raw) ?? 10) * mag
  const out: number[] = []
  for (let v = 0; v <= max + step * 0.999; v += step) out.push(Math.round(v * 1e6) / 1e6)
  return out
}

const tickLabel = (v: number, unit: string): string => unit === 'ms' && v >= 1000 ? `${Number((v / 1000).toFixed(2))} s` : `${Number(v.toFixed(2))}${unit === 'ms' ? ' ms' : unit === 's' ? ' s' : ''}`

interface Scale { x: (v: number) => number, ticks: number[] }

function linearScale (max: number, x0: number, x1: number): Scale {
  const ticks = niceTicks(max)
  const top = ticks[ticks.length - 1] ?? 1
  return { x: v => x0 + (Math.max(0, v) / top) * (x1 - x0), ticks }
}

/** Log axis from the 1-2-5 step at or below `min` to the power of ten at or above `max`. */
function logScale (min: number, max: number, x0: number, x1: number): Scale {
  const floor = Math.max(1, min)
  const e = Math.floor(Math.log10(floor))
  const start = [5, 2, 1].map(k => k * 10 ** e).find(v => v <= floor) ?? 10 ** e
  const hi = Math.max(e + 1, Math.ceil(Math.log10(Math.max(1, max))))
  const lo = Math.log10(start)
  // 1-2-5 ticks while they fit (up to four decades), powers of ten beyond.
  const steps = hi - lo <= 4 ? [1, 2, 5] : [1]
  const ticks: number[] = []
  for (let d = e; d <= hi; d++) for (const k of steps) { const t = k * 10 ** d; if (t >= start && t <= 10 ** hi) ticks.push(t) }
  return { x: v => x0 + ((Math.log10(Math.max(start, v)) - lo) / (hi - lo)) * (x1 - x0), ticks }
}

function axis (s: Scale, y0: number, y1: number, unit: string): string[] {
  return s.ticks.flatMap(t => [
    `<line x1="${r1(s.x(t))}" y1="${y0}" x2="${r1(s.x(t))}" y2="${y1}" stroke="#e5e7eb"/>`,
    `<text x="${r1(s.x(t))}" y="${y1 + 14}" text-anchor="middle" fill="#6b7280">${esc(tickLabel(t, unit))}</text>`
  ])
}

export function quantile (sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i] as number
}

export interface BoxPlotOptions {
  title: string
  unit: string
  /** What the values are; the legend (box, median, whiskers' quantiles, max) follows it. */
  note?: string
  /** The quantiles the whiskers span. @default [0.05, 0.95] */
  whiskers?: [number, number]
  /** Dashed vertical lines across all rows, e.g. a target. */
  marks?: Array<{ at: number, label: string }>
  /** The quantiles named under each row's label. @default [0.5] */
  shown?: number[]
  /** Room for the row labels, in px. @default 190 */
  labelWidth?: number
}

/** One box per row: whiskers p5–p95 (or as given), box p25–p75, median line, max as a dot. */
export function boxPlot (rows: Array<{ label: string, values: number[], color?: string }>, opts: BoxPlotOptions): string {
  const width = 820
  const left = opts.labelWidth ?? 190
  const right = width - 30
  const rowH = 34
  const top = 48
  const height = top + rows.length * rowH + 48
  const [lowQ, highQ] = opts.whiskers ?? [0.05, 0.95]
  const pct = (q: number): string => `p${Math.round(q * 100)}`
  const marks = opts.marks ?? []
  const all = [...rows.flatMap(r => r.values), ...marks.map(m => m.at)]
  const max = Math.max(1, ...all)
  const min = Math.min(max, ...all.filter(v => v > 0))
  const scale = max / Math.max(1, min) > 50 ? logScale(min, max, left, right) : linearScale(max, left, right)
  const body = axis(scale, top - 6, top + rows.length * rowH, opts.unit)
  for (const mark of marks) {
    const x = r1(scale.x(mark.at))
    body.push(
      `<line x1="${x}" y1="${top - 6}" x2="${x}" y2="${top + rows.length * rowH}" stroke="#111827" stroke-dasharray="4 3"/>`,
      `<text x="${x}" y="${top - 10}" text-anchor="middle" fill="#111827" font-size="11">${esc(mark.label)}</text>`
    )
  }
  rows.forEach((row, i) => {
    const v = [...row.values].sort((a, b) => a - b)
    const y = top + i * rowH + rowH / 2
    const [lo, p25, p50, p75, hi] = [lowQ, 0.25, 0.5, 0.75, highQ].map(q => scale.x(quantile(v, q))) as [number, number, number, number, number]
    const color = row.color ?? PALETTE[i % PALETTE.length] as string
    const shown = (opts.shown ?? [0.5]).map(q => `${pct(q)} ${tickLabel(quantile(v, q), opts.unit)}`).join(', ')
    body.push(
      `<text x="${left - 10}" y="${y - 2}" text-anchor="end" fill="#111827">${esc(row.label)}</text>`,
      `<text x="${left - 10}" y="${y + 11}" text-anchor="end" fill="#6b7280" font-size="10">n=${v.length}, ${esc(shown)}</text>`,
      `<line x1="${r1(lo)}" y1="${y}" x2="${r1(hi)}" y2="${y}" stroke="${color}"/>`,
      `<rect x="${r1(p25)}" y="${y - 9}" width="${r1(Math.max(1, p75 - p25))}" height="18" fill="${color}" fill-opacity="0.25" stroke="${color}"/>`,
      `<line x1="${r1(p50)}" y1="${y - 9}" x2="${r1(p50)}" y2="${y + 9}" stroke="${color}" stroke-width="2.5"/>`,
      `<circle cx="${r1(scale.x(v[v.length - 1] ?? 0))}" cy="${y}" r="2.5" fill="${color}"/>`
    )
  })
  const legend = `box p25–p75, line median, whiskers ${pct(lowQ)}–${pct(highQ)}, dot max`
  body.push(`<text x="16" y="${height - 12}" fill="#6b7280" font-size="11">${esc(opts.note != null ? `${opts.note}; ${legend}` : legend)}</text>`)
  return doc(width, height, opts.title, body)
}

/** One panel per group (e.g. per heal), one horizontal bar per node. */
export function barPanels (panels: Array<{ title: string, bars: Array<{ label: string, value: number, note?: string }> }>, opts: { title: string, unit: string }): string {
  const width = 820
  const left = 120
  const right = width - 80
  const barH = panels.reduce((n, p) => n + p.bars.length, 0) > 60 ? 6 : 16
  const max = Math.max(1, ...panels.flatMap(p => p.bars.map(b => b.value)))
  const scale = linearScale(max, left, right)
  const body: string[] = []
  let y = 48
  for (const panel of panels) {
    body.push(`<text x="16" y="${y + 4}" font-weight="600" fill="#374151">${esc(panel.title)}</text>`)
    y += 14
    const y0 = y
    const grid = axis(scale, y0 - 4, y0 + panel.bars.length * (barH + 3), opts.unit)
    body.push(...grid)
    panel.bars.forEach((bar, i) => {
      const by = y0 + i * (barH + 3)
      if (barH >= 12) body.push(`<text x="${left - 8}" y="${by + barH - 4}" text-anchor="end" fill="#111827">${esc(bar.label)}</text>`)
      body.push(`<rect x="${left}" y="${by}" width="${r1(Math.max(1, scale.x(bar.value) - left))}" height="${barH}" fill="${PALETTE[0]}" fill-opacity="0.8"><title>${esc(`${bar.label}: ${tickLabel(bar.value, opts.unit)}`)}</title></rect>`)
      if (barH >= 12) body.push(`<text x="${r1(scale.x(bar.value) + 6)}" y="${by + barH - 4}" fill="#374151" font-size="11">${esc(bar.note ?? tickLabel(bar.value, opts.unit))}</text>`)
    })
    y = y0 + panel.bars.length * (barH + 3) + 36
  }
  return doc(width, y, opts.title, body)
}

/** Rows of [first, last] ranges with a median tick (seconds), and vertical markers (deadlines). */
export function timelineChart (rows: Array<{ label: string, kind: string, first: number, median: number, last: number, note: string }>, markers: Array<{ label: string, at: number }>, opts: { title: string }): string {
  const width = 820
  const left = 230
  const right = width - 40
  const rowH = 30
  const top = 52
  const height = top + rows.length * rowH + 50
  const max = Math.max(0.1, ...rows.map(r => r.last), ...markers.map(m => m.at)) * 1.05
  const scale = linearScale(max, left, right)
  const body = axis(scale, top - 8, top + rows.length * rowH, 's')
  for (const m of markers) {
    const x = r1(scale.x(m.at))
    body.push(`<line x1="${x}" y1="${top - 14}" x2="${x}" y2="${top + rows.length * rowH}" stroke="#7f1d1d" stroke-dasharray="4 3"/>`, `<text x="${x}" y="${top - 18}" text-anchor="middle" fill="#7f1d1d" font-size="11">${esc(m.label)}</text>`)
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH + rowH / 2
    const color = KIND_COLOR[row.kind] ?? PALETTE[i % PALETTE.length] as string
    const x0 = scale.x(row.first)
    const x1 = Math.max(x0 + 3, row.kind === 'overdue' ? right : scale.x(row.last))
    body.push(
      `<text x="${left - 10}" y="${y + 4}" text-anchor="end" fill="#111827">${esc(row.label)}</text>`,
      `<rect x="${r1(x0)}" y="${y - 7}" width="${r1(x1 - x0)}" height="14" rx="3" fill="${color}" fill-opacity="${row.kind === 'overdue' ? 0.25 : 0.55}" stroke="${color}"/>`,
      row.kind === 'overdue' ? '' : `<line x1="${r1(scale.x(row.median))}" y1="${y - 9}" x2="${r1(scale.x(row.median))}" y2="${y + 9}" stroke="#111827" stroke-width="2"/>`,
      noteAt(row.note, x0, x1, y, left, width)
    )
  })
  body.push(`<text x="${left}" y="${height - 12}" fill="#6b7280" font-size="11">seconds after the declaration was written; bar = first node to last node, tick = median node</text>`)
  return doc(width, height, opts.title, body)
}

/** A range's note: after the bar when there is room, else before it, else inside its end. */
function noteAt (note: string, x0: number, x1: number, y: number, left: number, width: number): string {
  const room = note.length * 6.2
  const [x, anchor, fill] = x1 + 6 + room < width - 8 ? [x1 + 6, 'start', '#374151'] : x0 - 6 - room > left ? [x0 - 6, 'end', '#374151'] : [x1 - 4, 'end', '#111827']
  return `<text x="${r1(x)}" y="${y + 4}" text-anchor="${anchor}" fill="${fill}" font-size="11">${esc(note)}</text>`
}

/** Step lines: for each series, the share of nodes holding the record against time. */
export function stepLines (series: Array<{ label: string, points: Array<[number, number]> }>, opts: { title: string, unit: string, yLabel: string }): string {
  const width = 900
  const left = 70
  const right = width - 250
  const top = 44
  const bottom = 330
  const max = Math.max(1, ...series.flatMap(s => s.points.map(p => p[0])))
  const scale = linearScale(max, left, right)
  const y = (f: number): number => bottom - f * (bottom - top)
  const body = axis(scale, top, bottom, opts.unit)
  for (const f of [0, 0.25, 0.5, 0.75, 1]) body.push(`<line x1="${left}" y1="${r1(y(f))}" x2="${right}" y2="${r1(y(f))}" stroke="#f3f4f6"/>`, `<text x="${left - 8}" y="${r1(y(f) + 4)}" text-anchor="end" fill="#6b7280">${f * 100}%</text>`)
  body.push(`<text x="16" y="${(top + bottom) / 2}" transform="rotate(-90 16 ${(top + bottom) / 2})" text-anchor="middle" fill="#6b7280">${esc(opts.yLabel)}</text>`)
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length] as string
    let d = `M ${left} ${r1(y(0))}`
    let prev = 0
    for (const [t, f] of s.points) { d += ` H ${r1(scale.x(t))} V ${r1(y(f))}`; prev = f }
    d += ` H ${right} V ${r1(y(prev))}`
    body.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`, `<rect x="${right + 16}" y="${top + i * 20}" width="12" height="12" fill="${color}"/>`, `<text x="${right + 34}" y="${top + i * 20 + 10}" fill="#111827">${esc(s.label.length > 34 ? `${s.label.slice(0, 33)}…` : s.label)}</text>`)
  })
  return doc(width, bottom + 36, opts.title, body)
}
