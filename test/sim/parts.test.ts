import { strict as assert } from 'node:assert'
import { dialPlan, nodeLatencies, oneWayMs } from '../../src/sim/topology.ts'
import { generateMembers, UN_MEMBERS } from '../../src/sim/un-members.ts'
import { boxPlot, niceTicks, timelineChart } from '../../src/sim/svg-charts.ts'
import { formatMs, parseDuration } from '../../src/sim/duration.ts'
import type { NetworkSpec } from '../../src/sim/scenario-check.ts'

const spec = (over: Partial<NetworkSpec> = {}): NetworkSpec => ({
  transport: 'memory', degree: 3, jitterMs: 0, seed: 1,
  latency: { withinMs: 10, defaultMs: 90, pairs: [{ a: 'europe', b: 'asia', ms: 120 }] },
  ...over
})

describe('sim: the parts of a drill', () => {
  it('193 UN member states, each once; generated federations keep every continent', () => {
    assert.equal(UN_MEMBERS.length, 193)
    assert.equal(new Set(UN_MEMBERS.map(m => m.id)).size, 193)
    assert.deepEqual(new Set(generateMembers(10).map(m => m.region)), new Set(['africa', 'americas', 'asia', 'europe', 'oceania']))
    assert.equal(generateMembers(200)[199]?.id, 'X200')
  })

  it('the dial plan is deterministic, sparse and connected', () => {
    const ids = generateMembers(60).map(m => m.id)
    const plan = dialPlan(ids, 3, 7)
    assert.deepEqual(plan, dialPlan(ids, 3, 7))
    assert.ok([...plan.values()].every((t, i) => t.length === Math.min(i, 3)))
    const reached = new Set([ids[0]])
    for (let grew = true; grew;) {
      grew = false
      for (const [id, targets] of plan) {
        if (!reached.has(id) && targets.some(t => reached.has(t))) { reached.add(id); grew = true }
      }
    }
    assert.equal(reached.size, 60)
  })

  it('per-node latency: the mean one-way latency from its region to every other member; none over TCP', () => {
    const members = [{ id: 'GB', region: 'europe' }, { id: 'FR', region: 'europe' }, { id: 'JP', region: 'asia' }]
    assert.equal(oneWayMs(spec(), 'asia', 'europe'), 120)
    assert.equal(oneWayMs(spec(), 'asia', 'africa'), 90)
    const lat = nodeLatencies(members, spec())
    assert.equal(lat.get('GB'), (10 + 120) / 2)
    assert.equal(lat.get('JP'), 120)
    assert.equal(nodeLatencies(members, spec({ transport: 'tcp' })).get('JP'), 0)
  })

  it('durations and charts', () => {
    assert.equal(parseDuration('1.5m'), 90_000)
    assert.equal(parseDuration(250), 250)
    assert.throws(() => parseDuration('2 secs'), /not a duration/)
    assert.equal(formatMs(86_400_000), '24.0 h')
    assert.deepEqual(niceTicks(930), [0, 200, 400, 600, 800, 1000])
    const svg = boxPlot([{ label: 'a<b', values: [1, 2, 3, 400] }], { title: 'T & U', unit: 'ms' })
    assert.match(svg, /^<svg [^>]+>/)
    assert.match(svg, /a&lt;b/)
    assert.match(svg, /T &amp; U/)
    // A log axis starts at the 1-2-5 step below the data, not a whole empty decade lower.
    const wide = boxPlot([{ label: 'x', values: [9, 30, 700] }], { title: 't', unit: 'ms' })
    assert.deepEqual([...wide.matchAll(/>([\d.]+ m?s)<\/text>/g)].map(m => m[1]), ['5 ms', '10 ms', '20 ms', '50 ms', '100 ms', '200 ms', '500 ms', '1 s'])
    assert.doesNotMatch(timelineChart([{ label: 'x', kind: 'declared', first: 0, median: 1, last: 2, note: 'n' }], [], { title: 't' }), /NaN/)
  })
})
