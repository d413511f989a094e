import { strict as assert } from 'node:assert'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadScenario, parseScenario, ScenarioError } from '../../src/sim/index.ts'

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url))

const HEAD = `
name: t
members:
  list:
    - { id: GB, region: europe }
    - { id: US, region: americas }
    - { id: JP, region: asia }
`

/** Parses a scenario made of HEAD plus `rest`; returns the ScenarioError it must throw. */
function refused (rest: string): ScenarioError {
  try {
    parseScenario(HEAD + rest, SCENARIOS)
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `expected a ScenarioError, got ${String(err)}`)
    return err
  }
  assert.fail('the scenario was accepted')
}

describe('sim: the scenario format', () => {
  it('every shipped scenario loads', () => {
    const files = readdirSync(SCENARIOS).filter(f => f.endsWith('.yaml'))
    assert.ok(files.length >= 7)
    for (const f of files) {
      const s = loadScenario(join(SCENARIOS, f))
      assert.equal(`${s.name}.yaml`, f)
      assert.ok(s.timeline.length > 0 && s.expect.length > 0, f)
    }
  })

  it('a step with a malformed action is refused with the step\'s location', () => {
    const err = refused(`
timeline:
  - register: { by: US, model: us-1 }
  - wait: 1s
  - kill: GB
  - partition: { groups: [[asia]] }
`)
    assert.equal(err.where, 'timeline[3].partition.groups')
    assert.match(err.message, /^timeline\[3\]\.partition\.groups must NOT have fewer than 2 items/)
  })

  it('names the field inside a step, a wrong type, an unknown field and a missing one', () => {
    assert.match(refused('timeline:\n  - register: { by: US, model: us-1, computee: 1 }\n').message, /^timeline\[0\]\.register\.computee is not an allowed field/)
    assert.match(refused('timeline:\n  - wait: 1s\n  - confirm: { by: GB }\n').message, /^timeline\[1\]\.confirm\.declaration is required/)
    assert.match(refused('timeline:\n  - forge: { via: GB, count: many }\n').message, /^timeline\[0\]\.forge\.count must be integer/)
  })

  it('a step must name exactly one action', () => {
    assert.match(refused('timeline:\n  - kil: GB\n').message, /^timeline\[0\] must name exactly one action .* none \("kil" is not one\)/)
    assert.match(refused('timeline:\n  - { kill: GB, restart: GB }\n').message, /^timeline\[0\] must name exactly one action .* kill and restart/)
  })

  it('meaning is checked too: members, durations, groups, labels, conditions', () => {
    assert.match(refused('timeline:\n  - register: { by: ZZ, model: z-1 }\n').message, /^timeline\[0\]\.register\.by: ZZ is not a member of this drill/)
    assert.match(refused('timeline:\n  - wait: 2 secs\n').message, /^timeline\[0\]\.wait\.for: "2 secs" is not a duration/)
    assert.match(refused('timeline:\n  - partition: { groups: [[asia], [europe]] }\n').message, /^timeline\[0\]\.partition\.groups: US is in no group/)
    assert.match(refused('timeline:\n  - partition: { groups: [[asai], [rest]] }\n').message, /^timeline\[0\]\.partition\.groups\[0\]\[0\]: "asai" is neither a region/)
    assert.match(refused('timeline:\n  - wait: 1s\nexpect:\n  - { holds: nothing-wrote-this }\n').message, /^expect\[0\]\.holds: no step writes a record labelled "nothing-wrote-this"/)
    assert.match(refused('timeline:\n  - wait: 1s\nexpect:\n  - { converged: true, forged: nowhere }\n').message, /^expect\[0\]: names converged and forged; say exactly one/)
    assert.match(refused('timeline:\n  - wait: { until: { converged: true, nodes: [europ] } }\n').message, /^timeline\[0\]\.wait\.until\.nodes: "europ" is neither/)
    assert.match(refused('timeline:\n  - propose: { by: GB, proposal: gb-p-1, admit: US }\n').message, /^timeline\[0\]\.propose\.admit: US is not listed under members\.joining/)
    assert.match(refused('timeline:\n  - wait: 1s\nexpect:\n  - { membership: { includes: [GB], excludes: [US, ZZ] } }\n').message, /^expect\[0\]\.membership\.excludes\[1\]: ZZ is not a member/)
    assert.match(refused('timeline:\n  - propose: { by: GB, proposal: p-1, remove: US }\n').message, /^timeline\[0\]\.propose\.proposal: a proposal id starts with its proposer's id: "gb-p-1", not "p-1"/)
  })

  it('a mistake found after parsing names the line it is on', () => {
    const line = HEAD.split('\n').length + 2
    assert.match(refused('timeline:\n  - wait: 1s\n  - register: { by: ZZ, model: z-1 }\n').message, new RegExp(`^timeline\\[1\\]\\.register\\.by: ZZ is not a member .* \\(line ${line}\\)$`))
  })

  it('a bare action name is that action with no arguments (`- heal`)', () => {
    const scenario = parseScenario(HEAD + 'timeline:\n  - partition: { groups: [[europe], [americas, asia]] }\n  - heal\n', SCENARIOS)
    assert.equal(scenario.timeline.length, 2)
    assert.match(refused('timeline:\n  - kill\n').message, /^timeline\[0\]\.kill/)
  })

  it('a YAML syntax error names its line; a file error names the file', () => {
    const yamlError = refused('timeline:\n  - register: { by: US, model: [\n').message
    assert.match(yamlError, /^line \d+, column \d+: /)
    assert.doesNotMatch(yamlError, /at line \d+, column \d+:?$/, 'the position is said once')
    const dir = mkdtempSync(join(tmpdir(), 'accord-scenario-'))
    try {
      const file = join(dir, 'bad.yaml')
      writeFileSync(file, HEAD + 'timeline:\n  - heal: maybe\n')
      assert.throws(() => loadScenario(file), (err: Error) => err instanceof ScenarioError && err.message.startsWith(`${file}: timeline[0].heal`))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('parameters: defaults, overrides, unknown ones refused', () => {
    const text = `${HEAD}params: { n: 30 }\ntimeline:\n  - bulk: { count: '\${n}' }\n`
    const first = parseScenario(text, SCENARIOS).timeline[0]
    assert.equal(first?.kind === 'bulk' ? first.args.count : undefined, 30)
    const second = parseScenario(text, SCENARIOS, { params: { n: '7' } }).timeline[0]
    assert.equal(second?.kind === 'bulk' ? second.args.count : undefined, 7)
    assert.throws(() => parseScenario(text, SCENARIOS, { params: { m: 1 } }), /"m" is not a parameter of this scenario/)
  })
})
