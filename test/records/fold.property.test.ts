import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import canonicalize from 'canonicalize'
import { Ledger } from '../../src/store/ledger.ts'
import { incidentFlags, membership, redlines } from '../../src/records/index.ts'
import { federation, incidentBody, modelBody, Writer } from '../fixtures.ts'

const fed = federation(['US', 'GB', 'JP', 'FR', 'KE', 'SG'])
const ACTIONS = ['register', 'update', 'pause', 'report', 'iupdate', 'corroborate', 'iwithdraw', 'mwithdraw', 'acknowledge', 'declare', 'confirm', 'shutdown', 'propose', 'vote'] as const
/** Deadlines and overdue flags are judged at this fixed moment. */
const NOW = 1_790_000_000_000 + 3 * 86_400_000

interface Step { origin: string, action: typeof ACTIONS[number], pick: number }

const planArb = fc.array(fc.record({
  origin: fc.constantFrom(...fed.ids),
  action: fc.constantFrom(...ACTIONS),
  pick: fc.nat({ max: 1000 })
}), { minLength: 15, maxLength: 70 })

interface Obj { origin: string, id: string }

/**
 * A removal written into a plan before its step `at`: `target` removed with a last valid seq
 * `behind` below its tip then, approved by a quorum of others, so the target's later records in
 * the plan are void.
 */
interface Removal { at: number, target: number, behind: number }

/** Membership epoch after folding `records` in order. */
function epochAfter (records: Uint8Array[]): number {
  const ledger = new Ledger({ path: ':memory:', roster: fed.roster })
  try {
    ledger.admitMany(records)
    return membership(ledger.state).epoch
  } finally {
    ledger.close()
  }
}

/** Turns a random plan into valid chains using every kind, with cross-origin references. */
function recordsOf (plan: Step[], removal?: Removal): Uint8Array[] {
  const w = new Writer(fed)
  const out: Uint8Array[] = []
  const models: Array<Obj & { terminated?: boolean }> = []
  const incidents: Obj[] = []
  const declarations: Obj[] = []
  const proposals: Obj[] = []
  const voted = new Set<string>()
  let n = 0
  const write = (origin: string, kind: string, body: object, time = 1_790_000_000_000 + n * 60_000): void => { out.push(w.write(origin, kind, body, time).bytes) }
  for (const [index, { origin, action, pick }] of plan.entries()) {
    n++
    if (removal != null && index === removal.at) {
      const target = fed.ids[removal.target % fed.ids.length] as string
      const [proposer, ...voters] = fed.ids.filter(id => id !== target)
      const id = `${(proposer as string).toLowerCase()}-remove-${target.toLowerCase()}`
      const lastValidSeq = Math.max(0, (w.tips.get(target)?.seq ?? 0) - removal.behind)
      write(proposer as string, 'member.propose', { proposalId: id, action: 'remove', member: target, lastValidSeq, basis: epochAfter(out), reason: 'test' })
      for (const v of voters.slice(0, 3)) write(v, 'member.vote', { proposalId: id, approve: true })
      proposals.push({ origin: proposer as string, id })
      for (const v of voters.slice(0, 3)) voted.add(`${v}/${id}`)
    }
    const own = <T extends Obj>(list: T[]): T[] => list.filter(x => x.origin === origin)
    const others = <T extends Obj>(list: T[]): T[] => list.filter(x => x.origin !== origin)
    const any = <T>(list: T[]): T | undefined => list[pick % Math.max(1, list.length)]
    let act: string = action
    if (['update', 'pause', 'shutdown', 'mwithdraw'].includes(act) && own(models).length === 0) act = 'register'
    if (['iupdate', 'iwithdraw'].includes(act) && own(incidents).length === 0) act = 'report'
    if (act === 'corroborate' && others(incidents).length === 0) act = 'report'
    if (act === 'acknowledge' && others(models).length === 0) act = 'register'
    if (act === 'confirm' && others(declarations).length === 0) act = 'declare'
    if (act === 'vote' && others(proposals).filter(p => !voted.has(`${origin}/${p.id}`)).length === 0) act = 'propose'
    const lower = origin.toLowerCase()
    switch (act) {
      case 'register': {
        const id = `${lower}-m${n}`
        const parent = any(models)
        write(origin, 'model.register', modelBody(origin, id, parent != null && pick % 2 === 0 ? { parent: { modelId: parent.id, relation: 'copy' } } : {}))
        models.push({ origin, id })
        break
      }
      case 'update': case 'pause': {
        const m = any(own(models)) as Obj & { terminated?: boolean }
        const body = m.terminated === true
          ? { modelId: m.id, parameters: pick }
          : act === 'pause' ? { modelId: m.id, paused: pick % 2 === 0 } : { modelId: m.id, stage: pick % 3 === 0 ? 'decommissioned' : 'deployed', parameters: pick }
        if ((body as { stage?: string }).stage === 'decommissioned') m.terminated = true
        write(origin, 'model.update', body)
        break
      }
      case 'shutdown': {
        const m = any(own(models)) as Obj & { terminated?: boolean }
        m.terminated = true
        write(origin, 'redline.shutdown', { modelId: m.id, shutdownAt: 1_790_000_000_000 + n, verification: 'weights destroyed' })
        break
      }
      case 'mwithdraw': write(origin, 'model.withdraw', { modelId: (any(own(models)) as Obj).id, reason: 'error' }); break
      case 'acknowledge': write(origin, 'model.acknowledge', { modelId: (any(others(models)) as Obj).id, order: 'pause' }); break
      case 'report': {
        const id = `${lower}-i${n}`
        // Names a model that may be another member's, or one nobody registered: flagged unregistered.
        const model = any(models)?.id ?? `unknown-${pick}`
        write(origin, 'incident.report', incidentBody(id, [model], { severity: pick % 2 === 0 ? 'critical' : 'low', occurredAt: 1_790_000_000_000 - (pick % 5) * 86_400_000 }))
        incidents.push({ origin, id })
        break
      }
      case 'iupdate': write(origin, 'incident.update', { incidentId: (any(own(incidents)) as Obj).id, status: 'resolved', report: 'final' }); break
      case 'iwithdraw': write(origin, 'incident.withdraw', { incidentId: (any(own(incidents)) as Obj).id, reason: 'duplicate' }); break
      case 'corroborate': write(origin, 'incident.corroborate', { incidentId: (any(others(incidents)) as Obj).id, note: `seen by ${origin}` }); break
      case 'declare': {
        const id = `${lower}-d${n}`
        write(origin, 'redline.declare', { declarationId: id, modelId: any(models)?.id ?? `unknown-${pick}`, redline: 'self-exfiltration', evidence: 'logs' })
        declarations.push({ origin, id })
        break
      }
      case 'confirm': write(origin, 'redline.confirm', { declarationId: (any(others(declarations)) as Obj).id }); break
      case 'propose': {
        const id = `${lower}-p${n}`
        const target = fed.ids[pick % fed.ids.length] as string
        // Removals with a low last valid seq: the removed member's later records are held but
        // void, whether they arrive before or after the removal applies.
        write(origin, 'member.propose', pick % 2 === 0
          ? { proposalId: id, action: 'remove', member: target, lastValidSeq: pick % 9, basis: pick % 4 === 0 ? 0 : 1, reason: 'test' }
          : { proposalId: id, action: 'admit', member: `Z${pick % 7}`, card: { id: `Z${pick % 7}`, name: 'new', publicKey: 'A'.repeat(43), peerId: 'x' }, basis: pick % 2, reason: 'test' })
        proposals.push({ origin, id })
        break
      }
      case 'vote': {
        const p = others(proposals).filter(x => !voted.has(`${origin}/${x.id}`))[pick % others(proposals).filter(x => !voted.has(`${origin}/${x.id}`)).length] as Obj
        voted.add(`${origin}/${p.id}`)
        write(origin, 'member.vote', { proposalId: p.id, approve: pick % 4 !== 0 })
        break
      }
    }
  }
  return out
}

function fold (records: Uint8Array[], batch = 1): { digest: string, state: string, size: number, folded: number } {
  const ledger = new Ledger({ path: ':memory:', roster: fed.roster })
  try {
    for (let i = 0; i < records.length; i += batch) ledger.admitMany(records.slice(i, i + batch))
    const s = ledger.state
    const derived = {
      redlines: redlines(s, NOW),
      membership: membership(s),
      flags: [...s.incidents.keys()].sort().map(id => incidentFlags(s, id))
    }
    const folded = [...s.countsByKind.values()].reduce((a, b) => a + b, 0)
    return { digest: ledger.digest(), state: canonicalize({ state: s.snapshot(), derived }) as string, size: ledger.size, folded }
  } finally {
    ledger.close()
  }
}

/** A permutation of `n` items, each twice, driven by `keys` (small numbers, so failures print small). */
function shuffledTwice (n: number, keys: number[]): number[] {
  const order = [...Array(n).keys(), ...Array(n).keys()]
  for (let i = order.length - 1; i > 0; i--) {
    const j = (keys[i % keys.length] as number) % (i + 1)
    ;[order[i], order[j]] = [order[j] as number, order[i] as number]
  }
  return order
}

describe('records: the fold is a function of the set of records', () => {
  it('random permutations with duplicates, one by one or in batches, give the same state, flags and digest', () => {
    fc.assert(fc.property(
      planArb, fc.array(fc.nat({ max: 10_000 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 7 }),
      (plan, keys, batch) => {
        const records = recordsOf(plan)
        const reference = fold(records)
        assert.equal(reference.size, records.length, 'in order, every record is accepted')
        const got = fold(shuffledTwice(records.length, keys).map(i => records[i] as Uint8Array), batch)
        assert.equal(got.digest, reference.digest)
        assert.equal(got.state, reference.state)
        assert.equal(got.size, records.length)
      }
    ), { numRuns: 80 })
  })

  it('with a member removed mid-plan, its later records are held everywhere and void everywhere, whatever the order', () => {
    let voided = 0
    fc.assert(fc.property(
      planArb, fc.record({ at: fc.nat({ max: 40 }), target: fc.nat({ max: 5 }), behind: fc.nat({ max: 2 }) }),
      fc.array(fc.nat({ max: 10_000 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 7 }),
      (plan, removal, keys, batch) => {
        const records = recordsOf(plan, { ...removal, at: removal.at % plan.length })
        const reference = fold(records)
        assert.equal(reference.size, records.length, 'in order, every record is held')
        if (reference.folded < records.length) voided++
        const got = fold(shuffledTwice(records.length, keys).map(i => records[i] as Uint8Array), batch)
        assert.equal(got.digest, reference.digest)
        assert.equal(got.state, reference.state)
        assert.equal(got.size, records.length)
      }
    ), { numRuns: 80 })
    // The removal must really void records in most runs, or the property says little.
    assert.ok(voided >= 40, `only ${voided} of 80 runs had void records`)
  })

  it('the generator uses every kind from more than five origins', () => {
    const plan = ACTIONS.flatMap((action, i) => fed.ids.map(origin => ({ origin, action, pick: i * 7 + 1 })))
    const ledger = new Ledger({ path: ':memory:', roster: fed.roster })
    for (const r of recordsOf(plan)) {
      const a = ledger.admit(r)
      assert.equal(a.verdict, 'accept', `${a.code}: ${a.message}`)
    }
    const counts = ledger.state.snapshot().counts as Record<string, number>
    for (const kind of ['model.register', 'model.update', 'model.withdraw', 'model.acknowledge', 'incident.report', 'incident.update', 'incident.corroborate', 'incident.withdraw', 'redline.declare', 'redline.confirm', 'redline.shutdown', 'member.propose', 'member.vote']) {
      assert.ok((counts[kind] ?? 0) > 0, `${kind} folded`)
    }
    assert.equal(Object.keys(ledger.vector()).length, fed.ids.length)
    ledger.close()
  })
})
