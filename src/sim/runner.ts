/**
 * The drill runner: starts the scenario's nodes, plays its timeline step by step (each at its
 * time or after its condition), checks the expectations at their steps and at the end, measures
 * what the nodes observed, and stops every node cleanly whatever happened. It writes nothing to
 * the console: progress goes to `onEvent`, and the report is written by report.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Scenario, Step } from './scenario-check.ts'
import { DrillFederation } from './federation.ts'
import { Observations } from './observations.ts'
import { SimCluster } from './sim-cluster.ts'
import { checkExpectation, failureLine, type ExpectationResult } from './expectations.ts'
import { computeFigures, type Figures } from './figures.ts'
import { runStep, waitForCondition, type RunState } from './steps.ts'
import { sleep } from './poll.ts'

export type DrillEvent =
  | { type: 'phase', text: string }
  | { type: 'warmup', started: number, total: number, ready: number }
  | { type: 'step', index: number, total: number, where: string, label: string, state: 'running' | 'ok' | 'failed', detail: string }
  | { type: 'expectation', result: ExpectationResult }
  | { type: 'status', text: string }

export interface DrillOptions {
  /** Where the nodes keep their records. @default a fresh temporary directory, removed afterwards */
  dataDir?: string
  /** Keep the data directory after the drill. @default false */
  keepData?: boolean
  onEvent?: (event: DrillEvent) => void
}

export interface StepResult { index: number, where: string, kind: string, label: string, startedAt: number, ms: number, ok: boolean, detail: string }

export interface DrillResult {
  scenario: { name: string, title: string, description: string, file?: string, params: Record<string, unknown> }
  ok: boolean
  /** One line per failed step or expectation, naming it. */
  failures: string[]
  startedAt: string
  durationMs: number
  setup: { members: number, regions: Record<string, number>, transport: string, degree: number, latencyMs: { min: number, mean: number, max: number }, warmupMs: number, repairedLinks: number }
  steps: StepResult[]
  expectations: ExpectationResult[]
  figures: Figures
}

export async function runDrill (scenario: Scenario, opts: DrillOptions = {}): Promise<DrillResult> {
  const emit = opts.onEvent ?? (() => {})
  const started = Date.now()
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `accord-drill-${scenario.name}-`))
  const fed = new DrillFederation(scenario.members, scenario.settings)
  const obs = new Observations()
  const cluster = new SimCluster({ fed, network: scenario.network, dir, obs, runId: `${scenario.name}-${randomBytes(4).toString('hex')}` })
  const run: RunState = {
    fed, cluster, obs, scenario,
    forged: new Set(),
    started: new Set(fed.founders),
    timelineStart: 0,
    measures: [],
    background: [],
    backgroundFailures: [],
    status: text => emit({ type: 'status', text })
  }
  const failures: string[] = []
  const steps: StepResult[] = []
  const expectations: ExpectationResult[] = []
  let warmupMs = 0
  let figures: Figures | undefined
  const expect = async (specs: Scenario['expect']): Promise<void> => {
    for (const e of specs) {
      const result = await checkExpectation(e, run)
      expectations.push(result)
      if (!result.ok) failures.push(failureLine(result))
      emit({ type: 'expectation', result })
    }
  }
  try {
    emit({ type: 'phase', text: `starting ${fed.founders.length} nodes (${scenario.network.transport})` })
    const warm = Date.now()
    await cluster.startFounders(scenario.startTimeoutMs, p => emit({ type: 'warmup', ...p }))
    warmupMs = Date.now() - warm
    emit({ type: 'phase', text: `${fed.founders.length} nodes up in ${(warmupMs / 1000).toFixed(1)} s; playing ${scenario.timeline.length} steps` })
    run.timelineStart = Date.now()
    for (const step of scenario.timeline) {
      steps.push(await playStep(step, run, emit, failures))
      await expect(step.expect)
    }
    if (run.background.length > 0) {
      emit({ type: 'status', text: 'waiting for steps still under way' })
      await Promise.all(run.background)
      failures.push(...run.backgroundFailures.map(f => `step ${f}`))
    }
    emit({ type: 'phase', text: `checking ${scenario.expect.length} expectations` })
    await expect(scenario.expect)
  } catch (err) {
    failures.push(`drill aborted: ${(err as Error).message}`)
  } finally {
    try {
      const live = cluster.live()
      for (const id of live) obs.reconcile(cluster.node(id))
      const reference = live[0] != null ? cluster.node(live[0]).ledger.state : undefined
      figures = computeFigures({ obs, forged: run.forged, live, measures: run.measures, timelineStart: run.timelineStart || started, ...(reference != null ? { state: reference } : {}) })
    } finally {
      emit({ type: 'phase', text: 'stopping every node' })
      await cluster.stopAll()
      if (opts.dataDir == null && opts.keepData !== true) rmSync(dir, { recursive: true, force: true })
    }
  }
  const latencies = [...cluster.latencies.values()]
  const regions: Record<string, number> = {}
  for (const m of fed.members) regions[m.region] = (regions[m.region] ?? 0) + 1
  return {
    scenario: { name: scenario.name, title: scenario.title, description: scenario.description, ...(scenario.file != null ? { file: scenario.file } : {}), params: scenario.params },
    ok: failures.length === 0,
    failures,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    setup: {
      members: fed.members.length,
      regions,
      transport: scenario.network.transport,
      degree: scenario.network.degree,
      latencyMs: { min: Math.min(...latencies), mean: Math.round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)), max: Math.max(...latencies) },
      warmupMs,
      repairedLinks: cluster.repairs
    },
    steps,
    expectations,
    figures: figures as Figures
  }
}

async function playStep (step: Step, run: RunState, emit: (e: DrillEvent) => void, failures: string[]): Promise<StepResult> {
  const total = run.scenario.timeline.length
  emit({ type: 'step', index: step.index, total, where: step.where, label: step.label, state: 'running', detail: '' })
  let startedAt = Date.now()
  let ok = true
  let detail: string
  try {
    // Timers may fire a millisecond early: wait until the step's time has really come.
    if (step.atMs != null) while (Date.now() < run.timelineStart + step.atMs) await sleep(run.timelineStart + step.atMs - Date.now())
    if (step.afterMs != null) await sleep(step.afterMs)
    if (step.when != null) await waitForCondition(step.when, run, step.timeoutMs, `${step.where}.when`)
    startedAt = Date.now()
    detail = await runStep(step, run)
  } catch (err) {
    ok = false
    detail = (err as Error).message
    failures.push(`step ${step.where} (${step.label}) failed: ${detail}`)
  }
  emit({ type: 'step', index: step.index, total, where: step.where, label: step.label, state: ok ? 'ok' : 'failed', detail })
  return { index: step.index, where: step.where, kind: step.kind, label: step.label, startedAt: startedAt - run.timelineStart, ms: Date.now() - startedAt, ok, detail }
}
