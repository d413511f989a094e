import { strict as assert } from 'node:assert'
import { l50Chart } from '../../bench/l50-chart.ts'
import { poolRuns, type L50Figures, type ModeRun } from '../../bench/l50.ts'

const run = (timesToAll: number[]): ModeRun => ({ timesToAll, deliveries: timesToAll.length * 49, cpuMs: 1000, wallMs: 30_000, rssDelta: 0, meshMs: 10, publishErrors: 0 })
const range = (n: number, step: number): number[] => Array.from({ length: n }, (_, i) => (i + 1) * step)

describe('bench: the L50 chart', () => {
  it('draws a box per configuration and mode, with each p99, the target line and records not delivered everywhere', () => {
    const figures: L50Figures[] = [1, 2].map(processes => ({
      nodes: 50,
      seconds: 90,
      rounds: 3,
      ratePerSec: 10,
      processes,
      // Accord: 1..100 ms in two rounds (p99 99 ms); baseline: 10..1000 ms and one record a node never got.
      accord: poolRuns('accord', 50, processes, [run(range(50, 1)), run(range(50, 1).map(t => t + 50))]),
      baseline: poolRuns('baseline', 50, processes, [run([...range(100, 10), Infinity])]),
      ratioP50: 10,
      ratioP99: 10,
      // The stack alone: 1..50 ms.
      floor: { stack: poolRuns('stack', 50, processes, [run(range(50, 1))]), ceilingP99: 20, ceilingP50: 20, besideP99: 990 }
    }))
    assert.deepEqual(figures[0]?.accord.timesToAll.length, 100)
    const svg = l50Chart(figures)
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/)
    for (const label of ['1 process · Accord', '1 process · stack alone (floor)', '1 process · baseline (1 not everywhere)', '2 processes · Accord', '2 processes · stack alone (floor)', '2 processes · baseline (1 not everywhere)']) {
      assert.ok(svg.includes(`>${label}<`), `missing row ${label}`)
    }
    assert.equal(svg.match(/n=100, p50 50 ms, p99 99 ms/g)?.length, 2)
    assert.equal(svg.match(/n=50, p50 25 ms, p99 50 ms/g)?.length, 2)
    // The lost record is left out of the box and counted in the label instead.
    assert.equal(svg.match(/n=100, p50 500 ms, p99 990 ms/g)?.length, 2)
    assert.match(svg, /stroke-dasharray="4 3"[^>]*\/>\n<text [^>]*>target p99 75 ms<\/text>/)
    assert.match(svg, /50 nodes, 10 records\/s, 90 s per mode/)
    // The legend names the quantiles the whiskers were drawn to, after the chart's own note.
    assert.match(svg, />the baseline is stock gossipsub in the same run; the floor is the libp2p stack as Accord assembles it, with no record layer; box p25–p75, line median, whiskers p5–p99, dot max</)
    assert.doesNotMatch(svg, /NaN|Infinity/)
  })
})
