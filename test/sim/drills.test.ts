import { strict as assert } from 'node:assert'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadScenario, runDrill, writeReport, type DrillResult } from '../../src/sim/index.ts'

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url))

/** Plays a shipped scenario with real nodes; it must pass. */
async function drill (name: string, params?: Record<string, number>): Promise<DrillResult> {
  const result = await runDrill(loadScenario(join(SCENARIOS, `${name}.yaml`), params != null ? { params } : {}))
  assert.deepEqual(result.failures, [], `${name} failed`)
  assert.ok(result.ok)
  assert.ok(result.expectations.length > 0 && result.expectations.every(e => e.ok))
  assert.ok(result.steps.every(s => s.ok))
  return result
}

const reach = (r: DrillResult, label: string) => r.figures.reach.find(x => x.label === label)

describe('sim: the shipped drills pass with real nodes', function () {
  this.timeout(180_000)

  it('cross-border-incident: the critical incident reaches all 12 institutes within 2 s; four corroborations follow', async () => {
    const r = await drill('cross-border-incident')
    const incident = reach(r, 'sg-inc-2026-014')
    assert.equal(incident?.reached, 11)
    assert.ok((incident?.allMs ?? Infinity) <= 2000, `reached everyone after ${String(incident?.allMs)} ms`)
    assert.ok(r.figures.delivery.some(d => d.kind === 'incident.corroborate' && d.deliveries === 4 * 11))
  })

  it('red-line-drill: confirmed at quorum, two shutdowns, Japan overdue on every node; the report has its charts', async () => {
    const r = await drill('red-line-drill')
    const rl = r.figures.redlines[0]
    assert.equal(rl?.declarationId, 'rl-7')
    assert.deepEqual(rl?.milestones.map(m => m.kind), ['declared', 'confirmed', 'shut-down', 'shut-down', 'overdue'])
    for (const m of rl?.milestones ?? []) assert.equal(m.nodes, 12, m.label)
    assert.ok((rl?.milestones[1]?.last ?? Infinity) < (rl?.deadline ?? 0), 'every node saw the crossing confirmed before the deadline')
    const dir = mkdtempSync(join(tmpdir(), 'accord-drill-report-'))
    try {
      const written = writeReport(r, dir)
      assert.deepEqual(written.files.sort(), ['delivery-latency.svg', 'reach.svg', 'redline-timeline.svg', 'report.json', 'report.md'])
      const md = readFileSync(join(dir, 'report.md'), 'utf8')
      assert.match(md, /\*\*PASSED\*\* — 4 of 4 expectations held/)
      assert.match(md, /OVERDUE: jp-ft-7 \(JP\)/)
      assert.match(readFileSync(join(dir, 'redline-timeline.svg'), 'utf8'), /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*shutdown deadline[\s\S]*<\/svg>\n$/)
      const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as DrillResult
      assert.equal(json.ok, true)
      assert.equal(json.figures.redlines[0]?.milestones.length, 5)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('continental-partition: both sides write, a node is killed and restarted, heal → identical digests with everything', async () => {
    const r = await drill('continental-partition')
    const [restart, heal] = r.figures.convergence
    assert.equal(restart?.event, 'restart')
    assert.equal(heal?.event, 'heal')
    assert.ok(heal?.converged)
    assert.equal(Object.keys(heal?.perNode ?? {}).length, 12)
    assert.ok(Object.values(heal?.perNode ?? {}).some(ms => ms > 0), 'some node had to catch up after the heal')
  })

  it('rogue-member: the equivocation proof is kept, 11 forgeries are held nowhere, honest records flow', async () => {
    const r = await drill('rogue-member')
    assert.match(r.expectations.find(e => e.check === 'forged')?.message ?? '', /none of 11 forged records/)
    assert.ok((reach(r, 'gb-inc-r')?.allMs ?? Infinity) <= 3000)
    assert.equal(r.figures.reach.some(x => x.label.startsWith('outsider') || x.label === 'ke-as-us'), false, 'forgeries are not counted as deliveries')
  })

  it('new-member-admission: BR is voted in while JP is offline; JP returns and agrees', async () => {
    const r = await drill('new-member-admission')
    const events = r.figures.convergence.map(m => m.event)
    assert.deepEqual(events, ['start', 'online'])
    assert.ok((r.figures.convergence[1]?.perNode.JP ?? 0) > 0, 'JP had records to catch up on')
  })

  it('institute-offline-a-day (300 records in CI): KE returns and catches up, timed', async () => {
    const r = await drill('institute-offline-a-day', { records: 300 })
    const back = r.figures.convergence.find(m => m.event === 'online')
    assert.ok(back?.converged)
    assert.ok(back.records >= 300)
    const ke = back.perNode.KE ?? 0
    assert.ok(ke > 0 && ke === Math.max(...Object.values(back.perNode)), 'KE is the one that had to catch up')
  })
})

describe('sim: every step kind', function () {
  this.timeout(60_000)

  it('record, at/after, an expected refusal, offline for a while, kill/restart, partition/heal without waiting', async () => {
    const r = await runDrill(loadScenario(fileURLToPath(new URL('./fixtures/every-step.yaml', import.meta.url))))
    assert.deepEqual(r.failures, [])
    assert.ok((r.steps[1]?.startedAt ?? 0) >= 500, 'the `at: 500ms` step waited for its time')
    assert.match(r.steps[3]?.detail ?? '', /\(reject, as expected\)/)
    const back = r.figures.convergence.find(m => m.event === 'online')
    assert.ok(back?.converged, 'JP came back by itself after 2 s and converged')
  })
})

describe('sim: a member removed behind a partition', function () {
  this.timeout(90_000)

  it('the heal converges without it (left out, named) and the rest hold its late record; the report says so', async () => {
    const r = await runDrill(loadScenario(fileURLToPath(new URL('./fixtures/removal-partition.yaml', import.meta.url))))
    assert.deepEqual(r.failures, [])
    const heal = r.figures.convergence.find(m => m.event === 'heal')
    assert.ok(heal?.converged)
    assert.deepEqual(heal.outsiders, ['KE'])
    assert.equal(heal.perNode.KE, undefined, 'KE is not timed')
    assert.match(r.steps.find(s => s.label === 'heal')?.detail ?? '', /KE left out: not a member to the others/)
  })
})

describe('sim: a node killed while it catches up', function () {
  this.timeout(90_000)

  it('restarts from its data, keeps what it stored, and converges', async () => {
    const r = await runDrill(loadScenario(fileURLToPath(new URL('./fixtures/kill-mid-sync.yaml', import.meta.url))))
    assert.deepEqual(r.failures, [])
    const killed = /holding (\d+) records/.exec(r.steps[4]?.detail ?? '')
    const restarted = /from its data \((\d+) records\)/.exec(r.steps[5]?.detail ?? '')
    assert.ok(killed != null && restarted != null, `${r.steps[4]?.detail ?? ''} / ${r.steps[5]?.detail ?? ''}`)
    assert.equal(restarted[1], killed[1], 'the restarted node found exactly what it held when killed')
  })
})
