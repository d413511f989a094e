/** Governance transitions as events: announced once, and retracted when they stop being true. */
import { strict as assert } from 'node:assert'
import { Ledger } from '../../src/store/ledger.ts'
import { TransitionWatcher, type Transition } from '../../src/node/transitions.ts'
import { federation, modelBody, Writer } from '../fixtures.ts'

const T0 = 1_790_000_000_000

describe('node: governance transitions', () => {
  const fed = federation(['US', 'GB', 'JP', 'FR', 'KE', 'SG'])
  let ledger: Ledger
  let w: Writer
  let got: Transition[]
  let watcher: TransitionWatcher
  const ok = (origin: string, kind: string, body: object): void => {
    const a = ledger.admit(w.write(origin, kind, body, T0).bytes)
    assert.equal(a.verdict, 'accept', `${a.code}: ${a.message}`)
    watcher.check()
  }
  const types = (): string[] => got.map(t => t.type === 'retracted' ? `retracted ${t.transition.type}` : t.type)
  beforeEach(() => {
    ledger = new Ledger({ path: ':memory:', roster: fed.roster })
    w = new Writer(fed)
    got = []
    watcher = new TransitionWatcher(() => ledger.state, t => got.push(t), () => T0)
  })
  afterEach(() => ledger.close())

  it('a confirmation voided by its member\'s removal retracts the crossing and its mandates; each is announced once', () => {
    ok('GB', 'model.register', modelBody('GB', 'gb-base'))
    ok('FR', 'redline.declare', { declarationId: 'fr-d1', modelId: 'gb-base', redline: 'self-exfiltration', evidence: 'logs' })
    // KE's removal is voted on with KE's last valid seq 0: its confirmation below (seq 1) is void
    // once the removal holds, but it counts until then.
    ok('GB', 'member.propose', { proposalId: 'gb-remove-ke', action: 'remove', member: 'KE', lastValidSeq: 0, basis: 0, reason: 'key compromised' })
    ok('US', 'member.vote', { proposalId: 'gb-remove-ke', approve: true })
    ok('KE', 'redline.confirm', { declarationId: 'fr-d1' })
    ok('SG', 'redline.confirm', { declarationId: 'fr-d1' })
    assert.deepEqual(types(), ['redline.declared', 'redline.confirmed', 'model.mandated'])
    watcher.check()
    assert.equal(got.length, 3, 'nothing announced twice')

    got = []
    ok('JP', 'member.vote', { proposalId: 'gb-remove-ke', approve: true })
    ok('FR', 'member.vote', { proposalId: 'gb-remove-ke', approve: true })
    assert.deepEqual(types(), ['member.removed', 'retracted redline.confirmed', 'retracted model.mandated'])
    const retracted = got[1]
    assert.ok(retracted?.type === 'retracted' && retracted.transition.type === 'redline.confirmed' && retracted.transition.supporters.includes('KE'), 'the retraction carries what it retracts')

    // A third supporter still in the federation: confirmed again, announced anew.
    got = []
    ok('JP', 'redline.confirm', { declarationId: 'fr-d1' })
    assert.deepEqual(types(), ['redline.confirmed', 'model.mandated'])
  })
})
