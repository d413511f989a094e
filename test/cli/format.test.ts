/** What `accord view` prints for the states an operator must not miss. */
import assert from 'node:assert/strict'
import { formatAlarm, formatEvent, formatRecord, formatView, viewProblems } from '../../src/cli/format.ts'

describe('cli: accord view output', () => {
  const base = { id: 'GB', digest: 'ab'.repeat(32), vector: { GB: { seq: 3 }, US: { seq: 18 } }, counts: { 'incident.report': 21 } }

  it('names a frozen chain as an alarm, and says how many members are not connected', () => {
    const out = formatView({ ...base, held: 30, peers: [{ id: 'US', connected: true, agrees: true }, { id: 'JP', connected: false }, { id: 'FR', connected: false }], frozen: [{ origin: 'US', seq: 18 }] })
    assert.match(out, /records 21 \(\+9 held past a frozen chain's fork, counted for nothing\)/)
    assert.match(out, /^ALARM US signed two records at seq 18 \(an equivocation\): its chain is frozen there/m)
    assert.match(out, /all connected members agree; 2 of 3 other members not connected$/)
  })

  it('with every member connected and agreeing, says so and raises no alarm', () => {
    const out = formatView({ ...base, peers: [{ id: 'US', connected: true, agrees: true }], frozen: [] })
    assert.doesNotMatch(out, /ALARM|not connected/)
    assert.match(out, /all connected members agree$/)
  })

  it('a member that differs is counted', () => {
    const out = formatView({ ...base, peers: [{ id: 'US', connected: true, agrees: false }, { id: 'JP', connected: true, agrees: true }] })
    assert.match(out, /US {4}differs \(catching up\)/)
    assert.match(out, /1\/2 connected members agree$/)
  })

  it('says so when no member is connected, or the roster has no other member', () => {
    assert.match(formatView({ ...base, peers: [{ id: 'US', connected: false }, { id: 'JP', connected: false }] }), /no member connected \(2 other members; see the node's log for why\)$/)
    assert.match(formatView({ ...base, peers: [] }), /no other member in this node's roster$/)
  })

  it('--check fails on a frozen chain, a member not connected or one that differs, and passes when all agree', () => {
    assert.deepEqual(viewProblems({ ...base, peers: [{ id: 'US', connected: true, agrees: true }], frozen: [] }), [])
    assert.deepEqual(viewProblems({ ...base, peers: [{ id: 'US', connected: true, agrees: false }, { id: 'JP', connected: false }], frozen: [{ origin: 'US', seq: 18 }] }),
      ['1 chain(s) frozen by an equivocation', 'not connected: JP', 'differ: US'])
  })

  it('a connected member that did not answer just now is shown so, with the age of its last agreement, and fails --check', () => {
    const peers = [{ id: 'US', connected: true, answered: false, agrees: true, seenAt: Date.now() - 95_000 }, { id: 'JP', connected: true, answered: true, agrees: true, addr: '/ip4/10.77.0.14/tcp/4101' }]
    const out = formatView({ ...base, peers })
    assert.match(out, /JP\s+agrees {2}via \/ip4\/10\.77\.0\.14\/tcp\/4101$/m)
    assert.match(out, /US\s+connected, not answering \(agreed 9[4-6] s ago\)/)
    assert.match(out, /1\/2 connected members agree$/)
    assert.deepEqual(viewProblems({ ...base, peers, frozen: [] }), ['connected but not answering: US'])
  })

  it('marks a void record (a removed member\'s, past its last valid seq)', () => {
    const r = { time: 1_790_000_000_000, origin: 'KE', seq: 4, kind: 'model.register', body: { modelId: 'ke-2', name: 'x', developer: 'y', stage: 'training', trainingComputeFlop: 1e24 } }
    assert.doesNotMatch(formatRecord(r), /VOID/)
    assert.match(formatRecord({ ...r, void: true }), /KE {3}#4 .* \(VOID: written after its member was removed\)$/)
  })

  it('counts void records apart', () => {
    assert.match(formatView({ ...base, voided: 2, peers: [] }), /records 21 \(\+2 void\)$/m)
    assert.match(formatView({ ...base, voided: 0, peers: [] }), /records 21$/m)
  })

  it('says so when the members it reaches refuse this node (removed, or not admitted yet)', () => {
    const out = formatView({ ...base, peers: [{ id: 'US', connected: false, refuses: true }, { id: 'JP', connected: false }] })
    assert.match(out, /US {4}not connected: refuses this node/)
    assert.match(out, /^ALARM no member connected, and US refuses this node's links: this member may have been removed/m)
  })
})

describe('cli: times given on the command line', () => {
  it('a time of day needs its zone (else it would depend on the shell\'s TZ); dates, zoned times and epoch ms pass', async () => {
    const { millis } = await import('../../src/cli/commands-client.ts')
    assert.throws(() => millis('2026-12-03T10:00:00', '--occurred'), /--occurred 2026-12-03T10:00:00: say the time zone, e.g. 2026-12-03T10:00:00Z/)
    assert.throws(() => millis('2026-12-03 10:00', '--at'), /say the time zone/)
    assert.equal(millis('2026-12-03T10:00:00Z', '--occurred'), Date.UTC(2026, 11, 3, 10))
    assert.equal(millis('2026-12-03T11:00+01:00', '--occurred'), Date.UTC(2026, 11, 3, 10))
    assert.equal(millis('2026-12-03', '--occurred'), Date.UTC(2026, 11, 3))
    assert.equal(millis('1796241600000', '--occurred'), 1796241600000)
  })

  it('tail: every alarm is a sentence for this node\'s operator; a twin key is "this member\'s key" on the twin itself', () => {
    const twin = { type: 'twin-key', member: 'GB', reportedBy: 'US', nodes: 2, addrs: ['/ip4/10.0.0.1/tcp/4101', '/ip4/10.0.0.2/tcp/4101'], at: 1 }
    assert.match(formatAlarm('GB', twin), /^another node is running with this member's key \(US sees 2 nodes as GB, links from \/ip4\/10\.0\.0\.1\/tcp\/4101, \/ip4\/10\.0\.0\.2\/tcp\/4101\): stop all but one/)
    assert.match(formatAlarm('US', twin), /^2 nodes are running with GB's key .*tell GB's operator$/)
    assert.match(formatAlarm('US', { type: 'equivocation', origin: 'JP', seq: 7, ids: ['a', 'b'], at: 1 }), /^JP signed two records at seq 7/)
    assert.match(formatAlarm('US', { type: 'reject-flood', peer: '12D3…', member: 'FR', rejects: 20, windowMs: 10_000, lastCode: 'bad-signature', at: 1 }), /^FR sent 20 records the validator rejected within 10 s \(last: bad-signature\)$/)
    assert.match(formatAlarm('US', { type: 'store-write-failed', error: 'SQLITE_FULL', lost: 3, at: 1 }), /^the disk refused 3 accepted record\(s\) \(SQLITE_FULL\)/)
    assert.equal(formatAlarm('US', { type: 'from-a-newer-node', x: 1 }), '{"type":"from-a-newer-node","x":1}')
    assert.match(formatEvent('alarm', twin, 'GB'), /  ALARM  another node is running with this member's key/)
  })

  it('a member key run by two nodes is an alarm in view and fails --check', () => {
    const v = { id: 'GB', digest: 'ab'.repeat(32), vector: {}, counts: {}, peers: [{ id: 'US', connected: true, agrees: true }], frozen: [], twins: [{ member: 'US', reportedBy: 'GB', nodes: 2, addrs: ['/ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.2/tcp/2'] }] }
    assert.match(formatView(v), /^ALARM 2 nodes are running with US's key \(links from \/ip4\/10\.0\.0\.1\/tcp\/1, \/ip4\/10\.0\.0\.2\/tcp\/2\)/m)
    assert.deepEqual(viewProblems(v), ['key in use by two nodes: US'])
  })
})
