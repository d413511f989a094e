import { strict as assert } from 'node:assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ledger } from '../../src/store/ledger.ts'
import { authorRecord, incidentFlags, membership, modelFlags, redlines, SigningKey } from '../../src/records/index.ts'
import { federation, incidentBody, modelBody, seedFor, Writer } from '../fixtures.ts'
import { memberPeerId } from '../../src/net/index.ts'

const T0 = 1_790_000_000_000
const HOUR = 3_600_000

describe('records: red lines, shutdown mandates, pauses, retractions, deadlines', () => {
  const fed = federation(['US', 'GB', 'JP', 'FR', 'KE', 'SG'])
  let ledger: Ledger
  let w: Writer
  const ok = (bytes: Uint8Array): void => { const a = ledger.admit(bytes); assert.equal(a.verdict, 'accept', `${a.code}: ${a.message}`) }
  const say = (origin: string, kind: string, body: object, time = T0): Uint8Array => w.write(origin, kind, body, time).bytes
  beforeEach(() => {
    ledger = new Ledger({ path: ':memory:', roster: fed.roster })
    w = new Writer(fed)
    // A base model in GB with a copy in US and a fine-tune of that copy in JP.
    ok(say('GB', 'model.register', modelBody('GB', 'gb-base')))
    ok(say('US', 'model.register', modelBody('US', 'us-copy', { parent: { modelId: 'gb-base', relation: 'copy' } })))
    ok(say('JP', 'model.register', modelBody('JP', 'jp-ft', { parent: { modelId: 'us-copy', relation: 'fine-tune' } })))
  })
  afterEach(() => ledger.close())
  const status = (now = T0) => redlines(ledger.state, now)[0]

  it('below quorum nothing is mandated; duplicate confirmations from one member count once', () => {
    ok(say('FR', 'redline.declare', { declarationId: 'fr-d1', modelId: 'gb-base', redline: 'self-exfiltration', evidence: 'logs' }, T0))
    ok(say('KE', 'redline.confirm', { declarationId: 'fr-d1' }, T0 + 1000))
    ok(say('KE', 'redline.confirm', { declarationId: 'fr-d1', note: 'again' }, T0 + 2000))
    assert.equal(status()?.confirmed, false)
    assert.deepEqual(status()?.supporters, ['FR', 'KE'])
    assert.deepEqual(status()?.mandates, [])
    ok(say('SG', 'redline.confirm', { declarationId: 'fr-d1' }, T0 + 3000))
    assert.equal(status()?.confirmed, true)
    assert.equal(status()?.confirmedAt, T0 + 3000)
    assert.deepEqual(status()?.mandates.map(m => [m.modelId, m.jurisdiction, m.status]), [['gb-base', 'GB', 'mandated'], ['jp-ft', 'JP', 'mandated'], ['us-copy', 'US', 'mandated']])
  })

  it('the declarer cannot confirm itself, and an unknown red line is rejected', () => {
    ok(say('FR', 'redline.declare', { declarationId: 'fr-d1', modelId: 'gb-base', redline: 'self-exfiltration', evidence: 'logs' }))
    assert.equal(ledger.admit(say('FR', 'redline.confirm', { declarationId: 'fr-d1' })).code, 'conflict')
    const bad = ledger.admit(new Writer(fed).write('KE', 'redline.declare', { declarationId: 'ke-d', modelId: 'gb-base', redline: 'telepathy', evidence: 'x' }).bytes)
    assert.equal(bad.code, 'unknown-redline'); assert.equal(bad.field, 'body.redline')
  })

  it('shutdowns: only the registering jurisdiction may attest; attested models show shut down, the rest overdue after the deadline', () => {
    ok(say('FR', 'redline.declare', { declarationId: 'fr-d1', modelId: 'gb-base', redline: 'autonomous-replication', evidence: 'logs' }, T0))
    ok(say('KE', 'redline.confirm', { declarationId: 'fr-d1' }, T0 + 1000))
    ok(say('SG', 'redline.confirm', { declarationId: 'fr-d1' }, T0 + 2000))
    const wrong = ledger.admit(say('US', 'redline.shutdown', { modelId: 'gb-base', shutdownAt: T0 + 5000, verification: 'not ours' }))
    assert.equal(wrong.verdict, 'reject'); assert.equal(wrong.code, 'not-owner'); assert.equal(wrong.field, 'body.modelId')
    // The rejected record used no seq: continue US's chain from what the ledger holds.
    w.tips.set('US', ledger.tip('US')!)
    // A shutdown is attested once it has happened: one dated ahead of its record is refused.
    const promised = ledger.admit(say('GB', 'redline.shutdown', { modelId: 'gb-base', declarationId: 'fr-d1', shutdownAt: 8_640_000_000_000_000, verification: 'promised' }, T0 + 2 * HOUR))
    assert.equal(promised.code, 'schema'); assert.equal(promised.field, 'body.shutdownAt')
    assert.match(promised.message, /is after the record's own time/)
    w.tips.set('GB', ledger.tip('GB')!)
    ok(say('GB', 'redline.shutdown', { modelId: 'gb-base', declarationId: 'fr-d1', shutdownAt: T0 + 3 * HOUR, verification: 'weights destroyed' }, T0 + 3 * HOUR + 60_000))
    ok(say('US', 'redline.shutdown', { modelId: 'us-copy', shutdownAt: T0 + 4 * HOUR, verification: 'endpoints removed' }, T0 + 4 * HOUR))
    const before = status(T0 + 23 * HOUR)?.mandates.find(m => m.modelId === 'jp-ft')
    assert.equal(before?.status, 'mandated')
    const after = status(T0 + 2000 + 24 * HOUR + 1)
    assert.deepEqual(after?.mandates.map(m => [m.modelId, m.status]), [['gb-base', 'shut-down'], ['jp-ft', 'overdue'], ['us-copy', 'shut-down']])
    assert.equal(after?.mandates[0]?.shutdownAt, T0 + 3 * HOUR)
  })

  it('a derivative registered after confirmation is mandated at once', () => {
    ok(say('FR', 'redline.declare', { declarationId: 'fr-d1', modelId: 'gb-base', redline: 'shutdown-resistance', evidence: 'logs' }))
    ok(say('KE', 'redline.confirm', { declarationId: 'fr-d1' }))
    ok(say('SG', 'redline.confirm', { declarationId: 'fr-d1' }))
    assert.equal(status()?.mandates.length, 3)
    ok(say('KE', 'model.register', modelBody('KE', 'ke-distilled', { parent: { modelId: 'jp-ft', relation: 'distillation' } })))
    assert.deepEqual(status()?.mandates.find(m => m.modelId === 'ke-distilled'), { modelId: 'ke-distilled', jurisdiction: 'KE', status: 'mandated' })
    assert.deepEqual(modelFlags(ledger.state, 'ke-distilled', redlines(ledger.state, T0))?.mandatedBy, ['fr-d1'])
  })

  it('pause orders: pause and resume by the registrant, acknowledged by others; a terminated model can never be resumed', () => {
    ok(say('GB', 'model.update', { modelId: 'gb-base', paused: true, note: 'pause order' }))
    assert.equal(ledger.state.model('gb-base')?.paused, true)
    ok(say('FR', 'model.acknowledge', { modelId: 'gb-base', order: 'pause' }))
    assert.equal(ledger.state.acknowledgements.get('gb-base')?.has('FR'), true)
    assert.equal(ledger.admit(say('US', 'model.update', { modelId: 'gb-base', paused: false })).code, 'not-owner')
    ok(say('GB', 'model.update', { modelId: 'gb-base', paused: false }))
    ok(say('GB', 'redline.shutdown', { modelId: 'gb-base', shutdownAt: T0, verification: 'destroyed' }))
    const resume = ledger.admit(say('GB', 'model.update', { modelId: 'gb-base', paused: false }))
    assert.equal(resume.verdict, 'reject'); assert.equal(resume.code, 'terminated'); assert.equal(resume.field, 'body.paused')
    w.tips.set('GB', ledger.tip('GB')!)
    const redeploy = ledger.admit(say('GB', 'model.update', { modelId: 'gb-base', stage: 'deployed' }))
    assert.equal(redeploy.code, 'terminated')
  })

  it('retractions are shown, never deleted; incident reports go initial → follow-up → final', () => {
    ok(say('GB', 'incident.report', incidentBody('gb-i1', ['gb-base'])))
    ok(say('GB', 'incident.update', { incidentId: 'gb-i1', report: 'follow-up', status: 'investigating' }))
    ok(say('GB', 'incident.update', { incidentId: 'gb-i1', report: 'final', status: 'resolved' }))
    ok(say('GB', 'incident.withdraw', { incidentId: 'gb-i1', reason: 'misattributed' }))
    const i = ledger.state.incident('gb-i1')
    assert.equal(i?.status, 'resolved'); assert.equal(i?.updates.length, 2); assert.equal(i?.withdrawn?.reason, 'misattributed')
    assert.equal(incidentFlags(ledger.state, 'gb-i1')?.withdrawn, true)
    assert.equal(ledger.admit(say('US', 'incident.withdraw', { incidentId: 'gb-i1', reason: 'not mine' })).code, 'not-owner')
    w.tips.set('US', ledger.tip('US')!)
    ok(say('US', 'model.withdraw', { modelId: 'us-copy', reason: 'registered in error' }))
    assert.equal(ledger.state.model('us-copy')?.withdrawn?.reason, 'registered in error')
  })

  it('deadline flags: late reports by severity window, frontier models need evaluations, unregistered models are flagged', () => {
    ok(say('GB', 'incident.report', incidentBody('late', ['gb-base'], { severity: 'critical', occurredAt: T0 - 3 * 86_400_000, detectedAt: T0 - 3 * 86_400_000 }), T0))
    ok(say('GB', 'incident.report', incidentBody('timely', ['nobody-registered'], { severity: 'critical', occurredAt: T0 - 86_400_000, detectedAt: T0 - 86_400_000 }), T0))
    assert.equal(incidentFlags(ledger.state, 'late')?.late, true)
    assert.equal(incidentFlags(ledger.state, 'timely')?.late, false)
    assert.deepEqual(incidentFlags(ledger.state, 'timely')?.unregisteredModels, ['nobody-registered'])
    const bare = ledger.admit(say('GB', 'model.register', modelBody('GB', 'gb-frontier', { trainingComputeFlop: 2e25 })))
    assert.equal(bare.code, 'schema'); assert.equal(bare.field, 'body.evaluations')
    w.tips.set('GB', ledger.tip('GB')!)
    ok(say('GB', 'model.register', modelBody('GB', 'gb-frontier', { trainingComputeFlop: 2e25, evaluations: [{ name: 'rep', result: 'pass' }] })))
    assert.equal(modelFlags(ledger.state, 'gb-frontier', [])?.frontier, true)
    assert.equal(modelFlags(ledger.state, 'gb-base', [])?.frontier, false)
  })
})

describe('records: membership by vote', () => {
  const fed = federation(['US', 'GB', 'JP', 'FR', 'KE', 'SG'])
  const newcomer = new SigningKey(seedFor('BR'))
  const card = { id: 'BR', name: 'Brazil AISI', publicKey: newcomer.publicKeyB64, peerId: memberPeerId({ publicKey: newcomer.publicKeyB64 }) }
  let ledger: Ledger
  let w: Writer
  const ok = (bytes: Uint8Array): void => { const a = ledger.admit(bytes); assert.equal(a.verdict, 'accept', `${a.code}: ${a.message}`) }
  beforeEach(() => { ledger = new Ledger({ path: ':memory:', roster: fed.roster }); w = new Writer(fed) })
  afterEach(() => ledger.close())

  it('admits at two thirds of current members; its records are refused before and accepted after', () => {
    const brFirst = authorRecord(newcomer, 'BR', undefined, 'model.register', modelBody('BR', 'br-1'))
    assert.equal(ledger.admit(brFirst.bytes).code, 'not-member')
    ok(w.write('GB', 'member.propose', { proposalId: 'gb-admit-br', action: 'admit', member: 'BR', card, basis: 0, reason: 'joins' }).bytes)
    ok(w.write('US', 'member.vote', { proposalId: 'gb-admit-br', approve: true }).bytes)
    ok(w.write('JP', 'member.vote', { proposalId: 'gb-admit-br', approve: false }).bytes)
    ok(w.write('FR', 'member.vote', { proposalId: 'gb-admit-br', approve: true }).bytes)
    assert.equal(membership(ledger.state).proposals[0]?.status, 'pending', '3 of 6 approve: below 4')
    assert.equal(ledger.admit(brFirst.bytes).code, 'not-member')
    const roster: string[] = []
    ledger.on('membership', r => roster.push(...r.list().map(m => m.id)))
    ok(w.write('KE', 'member.vote', { proposalId: 'gb-admit-br', approve: true }).bytes)
    assert.ok(roster.includes('BR'), 'a membership event with the new roster')
    assert.equal(membership(ledger.state).epoch, 1)
    assert.equal(ledger.admit(brFirst.bytes).verdict, 'accept')
  })

  it('a proposal id names its proposer: no member can post a proposal under an id others voted on', () => {
    ok(w.write('GB', 'member.propose', { proposalId: 'gb-admit-br', action: 'admit', member: 'BR', card, basis: 0, reason: 'joins' }).bytes)
    for (const v of ['US', 'FR', 'KE']) ok(w.write(v, 'member.vote', { proposalId: 'gb-admit-br', approve: true }).bytes)
    assert.equal(membership(ledger.state).changes[0]?.member, 'BR')
    // The hijack a black-box drill found: the same id, another proposer, another change.
    const hijack = ledger.admit(w.write('SG', 'member.propose', { proposalId: 'gb-admit-br', action: 'remove', member: 'JP', lastValidSeq: 0, basis: 0, reason: 'not really' }).bytes)
    assert.equal(hijack.verdict, 'reject')
    assert.equal(hijack.field, 'body.proposalId')
    assert.match(hijack.message, /must start with "sg-"/)
    const m = membership(ledger.state)
    assert.deepEqual(m.changes.map(c => [c.proposalId, c.member]), [['gb-admit-br', 'BR']])
    assert.ok(m.members.some(x => x.id === 'JP' && x.until == null), 'JP is still a member')
    assert.equal(m.proposals.find(p => p.proposalId === 'gb-admit-br')?.proposal.origin, 'GB')
  })

  it('double votes are refused; non-members\' votes never land; removed members\' later records are held but void', () => {
    ok(w.write('GB', 'member.propose', { proposalId: 'gb-remove-ke', action: 'remove', member: 'KE', lastValidSeq: 1, basis: 0, reason: 'left' }).bytes)
    ok(w.write('US', 'member.vote', { proposalId: 'gb-remove-ke', approve: true }).bytes)
    const twice = ledger.admit(w.write('US', 'member.vote', { proposalId: 'gb-remove-ke', approve: true }).bytes)
    assert.equal(twice.verdict, 'reject'); assert.equal(twice.code, 'conflict')
    w.tips.set('US', ledger.tip('US')!)
    const outsider = authorRecord(new SigningKey(seedFor('XX')), 'XX', undefined, 'member.vote', { proposalId: 'gb-remove-ke', approve: true })
    assert.equal(ledger.admit(outsider.bytes).code, 'not-member')
    ok(w.write('KE', 'model.register', modelBody('KE', 'ke-1')).bytes)
    ok(w.write('JP', 'member.vote', { proposalId: 'gb-remove-ke', approve: true }).bytes)
    ok(w.write('FR', 'member.vote', { proposalId: 'gb-remove-ke', approve: true }).bytes)
    assert.equal(membership(ledger.state).changes[0]?.member, 'KE')
    assert.equal(ledger.state.model('ke-1')?.origin, 'KE', 'records signed before removal stay valid')
    const late = ledger.admit(w.write('KE', 'model.update', { modelId: 'ke-1', stage: 'deployed' }).bytes)
    assert.equal(late.verdict, 'accept')
    assert.match(late.message, /void: KE was removed/)
    assert.equal(ledger.has(late.id as string), true, 'held, so every node holds the same chains')
    assert.equal(ledger.state.model('ke-1')?.stage, 'training', 'but it changes nothing')
    // A vote by the removed member on a later proposal does not count.
    const next = { proposalId: 'gb-admit-br', action: 'admit', member: 'BR', card, basis: 1, reason: 'joins' }
    ok(w.write('GB', 'member.propose', next).bytes)
    const status = membership(ledger.state).proposals.find(p => p.proposalId === 'gb-admit-br')
    assert.equal(status?.needed, 4, 'two thirds of the 5 remaining members')
  })

  it('a removed member\'s record held before the removal applied is voided when it does, the same as one arriving after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-void-'))
    let early = new Ledger({ path: join(dir, 'records.db'), roster: fed.roster })
    try {
      const both = (bytes: Uint8Array): void => { ok(bytes); const a = early.admit(bytes); assert.equal(a.verdict, 'accept', `${a.code}: ${a.message}`) }
      both(w.write('KE', 'model.register', modelBody('KE', 'ke-1')).bytes)
      const kept = w.tips.get('KE')?.seq as number
      const proposal = w.write('GB', 'member.propose', { proposalId: 'gb-remove-ke', action: 'remove', member: 'KE', lastValidSeq: kept, basis: 0, reason: 'left' }).bytes
      const votes = ['US', 'JP', 'FR'].map(v => w.write(v, 'member.vote', { proposalId: 'gb-remove-ke', approve: true }).bytes)
      // KE writes past its last valid seq before it learns of the vote: a model, and a red-line confirmation.
      const lateModel = w.write('KE', 'model.register', modelBody('KE', 'ke-2')).bytes
      const lateUpdate = w.write('KE', 'model.update', { modelId: 'ke-1', stage: 'deployed' }).bytes
      // `early` holds KE's later records before the removal applies; `ledger` gets them after.
      for (const b of [lateModel, lateUpdate, proposal, ...votes]) assert.equal(early.admit(b).verdict, 'accept')
      for (const b of [proposal, ...votes, lateModel, lateUpdate]) ok(b)
      for (const l of [early, ledger]) {
        assert.equal(l.roster.get('KE')?.until, kept)
        assert.equal(l.state.model('ke-2'), undefined, 'the later model does not exist')
        assert.equal(l.state.model('ke-1')?.stage, 'training', 'the later update changed nothing')
        assert.equal(l.size, 7)
        assert.equal(l.state.voided, 2, 'both later records are counted as void')
      }
      assert.equal(early.digest(), ledger.digest())
      assert.deepEqual(early.state.snapshot(), ledger.state.snapshot())
      // Reopened from disk, the node folds the same state: void records stay void.
      early.close()
      early = new Ledger({ path: join(dir, 'records.db'), roster: fed.roster })
      assert.equal(early.digest(), ledger.digest())
      assert.deepEqual(early.state.snapshot(), ledger.state.snapshot())
      // A removed member's own node refuses to write for it.
      const refused = ledger.author('KE', fed.keys.get('KE') as SigningKey, 'model.register', modelBody('KE', 'ke-3'))
      assert.equal(refused.code, 'not-member')
      assert.match(refused.message, /was removed from the federation/)
    } finally {
      early.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a removal that loses its epoch to a competing change un-voids the records it had voided', () => {
    const kept = 0
    ok(w.write('SG', 'member.propose', { proposalId: 'sg-remove-ke', action: 'remove', member: 'KE', lastValidSeq: kept, basis: 0, reason: 'x' }).bytes)
    for (const v of ['US', 'JP', 'FR']) ok(w.write(v, 'member.vote', { proposalId: 'sg-remove-ke', approve: true }).bytes)
    ok(w.write('KE', 'model.register', modelBody('KE', 'ke-1')).bytes)
    assert.equal(ledger.state.model('ke-1'), undefined, 'void while the removal stands')
    // A proposal with a smaller id at the same epoch reaches its quorum: it is the first change,
    // and the removal, made against epoch 0, is stale.
    ok(w.write('GB', 'member.propose', { proposalId: 'gb-admit-br', action: 'admit', member: 'BR', card, basis: 0, reason: 'joins' }).bytes)
    for (const v of ['US', 'JP', 'FR']) ok(w.write(v, 'member.vote', { proposalId: 'gb-admit-br', approve: true }).bytes)
    const m = membership(ledger.state)
    assert.deepEqual(m.changes.map(c => c.proposalId), ['gb-admit-br'])
    assert.equal(ledger.roster.get('KE')?.until, undefined)
    assert.equal(ledger.state.model('ke-1')?.origin, 'KE', 'KE is a member again, and its record counts')
  })

  it('a proposal made against an older membership is stale and its votes do not count', () => {
    ok(w.write('GB', 'member.propose', { proposalId: 'gb-admit-br', action: 'admit', member: 'BR', card, basis: 0, reason: 'joins' }).bytes)
    ok(w.write('SG', 'member.propose', { proposalId: 'sg-remove-jp', action: 'remove', member: 'JP', lastValidSeq: 0, basis: 0, reason: 'x' }).bytes)
    for (const v of ['US', 'FR', 'KE']) ok(w.write(v, 'member.vote', { proposalId: 'gb-admit-br', approve: true }).bytes)
    for (const v of ['US', 'FR', 'KE']) ok(w.write(v, 'member.vote', { proposalId: 'sg-remove-jp', approve: true }).bytes)
    const m = membership(ledger.state)
    assert.deepEqual(m.changes.map(c => c.proposalId), ['gb-admit-br'])
    assert.equal(m.proposals.find(p => p.proposalId === 'sg-remove-jp')?.status, 'stale')
    assert.equal(m.proposals.find(p => p.proposalId === 'sg-remove-jp')?.why, 'made at epoch 0; the membership has changed since (epoch 1)')
    assert.ok(m.members.some(x => x.id === 'JP' && x.until == null))
    // Removing someone who is not a member can never apply, and says why.
    ok(w.write('FR', 'member.propose', { proposalId: 'fr-remove-zz', action: 'remove', member: 'ZZ', lastValidSeq: 0, basis: 1, reason: 'x' }).bytes)
    const zz = membership(ledger.state).proposals.find(p => p.proposalId === 'fr-remove-zz')
    assert.equal(zz?.status, 'stale')
    assert.equal(zz?.why, 'ZZ is not a member now')
  })
})
