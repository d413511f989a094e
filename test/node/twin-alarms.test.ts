/** Twin-key sightings: shown while fresh, alarmed once per quiet period even when the links flap. */
import { strict as assert } from 'node:assert'
import { TwinAlarms } from '../../src/node/alarms.ts'

describe('node: twin-key alarms', () => {
  it('a sighting cleared and seen again (its links flap) is not alarmed again within the quiet period; after it, it is', () => {
    const t = new TwinAlarms(15 * 60_000, 10 * 60_000)
    assert.equal(t.note('GB', 'US', 2, ['a', 'b'], 0)?.type, 'twin-key')
    t.clear('GB', 'US')
    assert.deepEqual(t.current(1000), [])
    assert.equal(t.note('GB', 'US', 2, ['a', 'b'], 40_000), undefined, 'seen again 40 s later: shown, not alarmed')
    assert.deepEqual(t.current(41_000).map(a => [a.member, a.reportedBy]), [['GB', 'US']])
    assert.equal(t.note('GB', 'US', 2, ['a', 'b'], 10 * 60_000)?.type, 'twin-key', 'alarmed again after the quiet period')
    assert.equal(t.note('GB', 'JP', 2, ['a', 'b'], 10 * 60_000 + 1)?.reportedBy, 'JP', 'another reporter is its own pair')
    assert.deepEqual(t.current(10 * 60_000 + 15 * 60_000 + 2), [], 'stale after freshMs')
  })
})
