import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadScenario, runDrill } from '../../src/sim/index.ts'

const SCENARIO = join(fileURLToPath(new URL('../../scenarios/', import.meta.url)), 'un-193.yaml')

// Two to three minutes on two cores: run with ACCORD_DRILL_FULL=1 (CI runs the small drills only).
describe('sim: all 193 UN member states (ACCORD_DRILL_FULL=1)', function () {
  this.timeout(600_000)
  before(function () { if (process.env.ACCORD_DRILL_FULL !== '1') this.skip() })

  it('un-193: one incident and one red-line crossing reach all 193 nodes; all converge', async () => {
    const r = await runDrill(loadScenario(SCENARIO))
    assert.deepEqual(r.failures, [])
    assert.equal(r.setup.members, 193)
    for (const label of ['ke-inc-1', 'rl-9', 'shutdown:us-frontier-9']) {
      const x = r.figures.reach.find(y => y.label === label)
      assert.equal(x?.reached, 192, label)
      assert.ok(x?.allMs != null && x.allMs < 10_000, `${label} reached everyone after ${String(x?.allMs)} ms`)
    }
    assert.equal(r.figures.redlines[0]?.milestones.find(m => m.kind === 'confirmed')?.nodes, 193)
  })
})
