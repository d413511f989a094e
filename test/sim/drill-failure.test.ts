import { strict as assert } from 'node:assert'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { accord } from '../cli/run-cli.ts'
import type { DrillResult } from '../../src/sim/index.ts'

const FIXTURE = fileURLToPath(new URL('./fixtures/false-expectation.yaml', import.meta.url))
const MALFORMED = fileURLToPath(new URL('./fixtures/malformed.yaml', import.meta.url))

describe('sim: a failed expectation fails the drill, by name', function () {
  this.timeout(120_000)
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'accord-drill-cli-')) })
  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('`accord drill` with a deliberately false expectation exits non-zero naming it, and still writes the report', async () => {
    const r = await accord(['drill', FIXTURE, '--out', dir, '--quiet'], { timeoutMs: 90_000 })
    assert.equal(r.code, 1, r.stderr)
    assert.match(r.stdout, /drill false-expectation: FAILED — 1\/2 expectations held/)
    assert.match(r.stderr, /accord: drill false-expectation failed:\n {2}expectation "five members corroborated \(deliberately false\)" \(expect\[1\]\) failed: on GB, JP, KE, US: gb-inc-f has 1 corroborations, expected at least 5/)
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as DrillResult
    assert.equal(report.ok, false)
    assert.deepEqual(report.expectations.map(e => e.ok), [true, false])
    assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /\*\*FAILED\*\*/)
  })

  it('`accord drill` on a malformed scenario exits non-zero with the step\'s location', async () => {
    const r = await accord(['drill', MALFORMED], { timeoutMs: 30_000 })
    assert.equal(r.code, 1)
    assert.equal(r.stderr, `accord: ${MALFORMED}: timeline[2].partition.groups must NOT have fewer than 2 items (line 10)\n`)
  })
})
