/**
 * The drill report: report.md for people, report.json for machines, and the charts as SVG
 * files beside them (delivery latency per kind, reach of the key records, convergence after each
 * heal, the red-line timeline). Every figure comes from the nodes' own first-held times.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DrillResult } from './runner.ts'
import { formatMs } from './duration.ts'
import { barPanels, boxPlot, stepLines, timelineChart } from './svg-charts.ts'

export interface WrittenReport { dir: string, files: string[] }

const ms = (v: number | null | undefined): string => v == null || Number.isNaN(v) ? '—' : formatMs(v)
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

/** The charts a result calls for, by file name. */
export function chartsOf (result: DrillResult): Map<string, string> {
  const f = result.figures
  const charts = new Map<string, string>()
  if (f.delivery.length > 0) {
    charts.set('delivery-latency.svg', boxPlot(f.delivery.map(d => ({ label: d.kind, values: d.values })), {
      title: `Delivery latency by record kind — ${result.scenario.name} (${f.nodes} nodes)`,
      unit: 'ms',
      note: 'from its origin holding a record to each other node first holding it'
    }))
  }
  const reach = f.reach.slice(0, 8)
  if (reach.length > 0) {
    charts.set('reach.svg', stepLines(reach.map(r => ({ label: `${r.label} (${r.kind})`, points: r.curve })), { title: `How fast key records reached every node — ${result.scenario.name}`, unit: 'ms', yLabel: 'share of nodes holding it' }))
  }
  if (f.convergence.length > 0) {
    charts.set('convergence.svg', barPanels(f.convergence.map(m => ({
      title: `${m.step} at ${formatMs(m.at)}: all digests identical after ${formatMs(m.totalMs)}${m.converged ? '' : ' (NOT converged)'}`,
      bars: Object.entries(m.perNode).sort((a, b) => b[1] - a[1]).map(([node, v]) => ({ label: node, value: v }))
    })), { title: `Time to convergence per node after each heal — ${result.scenario.name}`, unit: 'ms' }))
  }
  for (const [i, r] of f.redlines.entries()) {
    charts.set(f.redlines.length === 1 ? 'redline-timeline.svg' : `redline-timeline-${i + 1}.svg`, timelineChart(
      r.milestones.map(m => ({ label: m.label, kind: m.kind, first: m.first / 1000, median: m.median / 1000, last: m.last / 1000, note: m.kind === 'overdue' ? `overdue on ${m.nodes} of ${m.of} nodes` : `${m.nodes}/${m.of} nodes, last at ${formatMs(m.last)}` })),
      // A deadline far beyond the drill (the charter's 24 h) would squash every bar: name it in the title instead.
      r.deadline != null && r.deadline <= 2 * Math.max(...r.milestones.map(m => Number.isFinite(m.last) ? m.last : 0)) ? [{ label: 'shutdown deadline', at: r.deadline / 1000 }] : [],
      { title: `Red line ${r.declarationId}: ${r.modelId} crossed ${r.redline} — ${result.scenario.name}${r.deadline != null && !r.milestones.some(m => m.kind === 'overdue') ? ` (deadline ${formatMs(r.deadline)} after)` : ''}` }
    ))
  }
  return charts
}

export function markdownOf (result: DrillResult, charts: string[]): string {
  const { setup, figures: f } = result
  const lines: string[] = [`# Drill: ${result.scenario.title}`, '']
  if (result.scenario.description !== '') lines.push(result.scenario.description.trim(), '')
  const held = result.expectations.filter(e => e.ok).length
  lines.push(`**${result.ok ? 'PASSED' : 'FAILED'}** — ${held} of ${result.expectations.length} ${result.expectations.length === 1 ? 'expectation' : 'expectations'} held; ${result.steps.filter(s => s.ok).length} of ${result.steps.length} steps ran as written. ` +
    `${setup.members} members in ${Object.keys(setup.regions).length} regions, ${setup.transport} transport, each dialing ${setup.degree}; ` +
    `started ${result.startedAt}, ran ${formatMs(result.durationMs)} (nodes up and gossiping after ${formatMs(setup.warmupMs)}).`, '')
  if (result.failures.length > 0) lines.push('## Failures', '', ...result.failures.map(x => `- ${x}`), '')
  lines.push('## Expectations', '', '| | expectation | where | result | waited |', '|---|---|---|---|---|')
  for (const e of result.expectations) lines.push(`| ${e.ok ? 'ok' : '**FAILED**'} | ${cell(e.title)} | ${e.where} | ${cell(e.message)} | ${formatMs(e.waitedMs)} |`)
  lines.push('', '## Timeline', '', '| at | step | took | what happened |', '|---|---|---|---|')
  for (const s of result.steps) lines.push(`| ${formatMs(s.startedAt)} | ${s.where} ${cell(s.label)} | ${formatMs(s.ms)} | ${s.ok ? '' : '**FAILED**: '}${cell(s.detail)} |`)
  lines.push('', '## Figures', '', `Measured from each node's own record of when it first held each record (${f.records} records, ${f.nodes} nodes).`, '')
  if (f.delivery.length > 0) {
    lines.push('### Delivery latency by record kind', '', '| kind | deliveries | p50 | p90 | p99 | max |', '|---|---|---|---|---|---|')
    for (const d of f.delivery) lines.push(`| ${d.kind} | ${d.deliveries} | ${ms(d.p50)} | ${ms(d.p90)} | ${ms(d.p99)} | ${ms(d.max)} |`)
    lines.push('')
  }
  if (f.reach.length > 0) {
    lines.push('### Key records: time to reach every node', '', '| record | kind | by | written at | reached | p50 | p95 | everyone by |', '|---|---|---|---|---|---|---|---|')
    for (const r of f.reach) lines.push(`| ${cell(r.label)} | ${r.kind} | ${r.origin} | ${formatMs(r.writtenAt)} | ${r.reached}/${r.of} | ${ms(r.p50)} | ${ms(r.p95)} | ${r.allMs == null ? 'not everyone' : formatMs(r.allMs)} |`)
    lines.push('')
  }
  if (f.convergence.length > 0) {
    lines.push('### Convergence after heals', '', '| event | at | records | all digests identical after | slowest node | median node |', '|---|---|---|---|---|---|')
    for (const m of f.convergence) {
      const per = Object.entries(m.perNode).sort((a, b) => b[1] - a[1])
      const median = [...per].map(([, v]) => v).sort((a, b) => a - b)[Math.floor(per.length / 2)] ?? 0
      // A node that never caught up is the slowest, whatever its last record's time says.
      const slowest = m.laggards.length > 0 ? `${m.laggards.join(', ')} never` : `${per[0]?.[0] ?? '—'} ${formatMs(per[0]?.[1] ?? 0)}`
      const left = m.outsiders.length > 0 ? ` (${m.outsiders.join(', ')} left out: not a member)` : ''
      lines.push(`| ${cell(m.step)}${left} | ${formatMs(m.at)} | ${m.records} | ${m.converged ? formatMs(m.totalMs) : '**not converged**'} | ${slowest} | ${formatMs(median)} |`)
    }
    lines.push('')
  }
  for (const r of f.redlines) {
    lines.push(`### Red line ${r.declarationId}: ${r.modelId} crossed ${r.redline}`, '', `Declared by ${r.declaredBy}; quorum ${r.quorum}; shutdown deadline ${r.deadline == null ? '—' : `${formatMs(r.deadline)} after the declaration`}.`, '',
      '| milestone | first node | median node | last node | nodes |', '|---|---|---|---|---|')
    for (const m of r.milestones) lines.push(`| ${cell(m.label)} | ${ms(m.first)} | ${ms(m.median)} | ${ms(m.last)} | ${m.nodes}/${m.of} |`)
    lines.push('')
  }
  if (f.alarms.length > 0) {
    lines.push('### Alarms the nodes raised', '', ...f.alarms.map(a => `- ${a.type}: on ${a.nodes} of ${f.nodes} nodes, about ${a.about.join(', ')}`), '')
  }
  if (charts.length > 0) lines.push('### Charts', '', ...charts.map(c => `![${c}](${c})`), '')
  lines.push('## Setup', '',
    `- Members by region: ${Object.entries(setup.regions).map(([r, n]) => `${r} ${n}`).join(', ')}.`,
    `- Transport: ${setup.transport}. ${setup.transport === 'memory' ? `Per-node link latency ${setup.latencyMs.min}–${setup.latencyMs.max} ms (mean ${setup.latencyMs.mean}); the memory transport delays a link by its listening node's latency, so region pairs are approximated per node.` : 'Loopback TCP: no latency is emulated.'}`,
    `- Gossip links repaired during warm-up (identify timed out under load): ${setup.repairedLinks}.`,
    `- Parameters: ${Object.keys(result.scenario.params).length === 0 ? 'none' : Object.entries(result.scenario.params).map(([k, v]) => `${k}=${String(v)}`).join(', ')}.`,
    '- Every figure above is in report.json.', '')
  return lines.join('\n')
}

/** Writes report.md, report.json and the charts into `dir`. */
export function writeReport (result: DrillResult, dir: string): WrittenReport {
  mkdirSync(dir, { recursive: true })
  const charts = chartsOf(result)
  for (const [name, svg] of charts) writeFileSync(join(dir, name), svg)
  const json = { ...result, figures: { ...result.figures, delivery: result.figures.delivery.map(({ values: _v, ...rest }) => rest) } }
  writeFileSync(join(dir, 'report.json'), JSON.stringify(json, null, 2) + '\n')
  writeFileSync(join(dir, 'report.md'), markdownOf(result, [...charts.keys()]))
  return { dir, files: ['report.md', 'report.json', ...charts.keys()] }
}
