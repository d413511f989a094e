import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import canonicalize from 'canonicalize'
import { Ledger } from '../../src/store/ledger.ts'
import { federation, incidentBody, modelBody, Writer } from '../fixtures.ts'

const fed = federation(['US', 'GB', 'JP', 'FR', 'KE', 'SG'])
const ACTIONS = ['register', 'update', 'report', 'iupdate', 'corroborate'] as const

const planArb = fc.array(fc.record({
  origin: fc.constantFrom(...fed.ids),
  action: fc.constantFrom(...ACTIONS),
  pick: fc.nat({ max: 1000 })
}), { minLength: 15, maxLength: 60 })

/** Turns a random plan into valid chains using every kind, with cross-origin references. */
interface Step { origin: string, action: typeof ACTIONS[number], pick: number }

function recordsOf (plan: Step[]): Uint8Array[] {
  const w = new Writer(fed)
  const out: Uint8Array[] = []
  const models: Array<{ origin: string, id: string }> = []
  const incidents: Array<{ origin: string, id: string }> = []
  let n = 0
  for (const { origin, action, pick } of plan) {
    const own = (list: Array<{ origin: string, id: string }>) => list.filter(x => x.origin === origin)
    const any = <T>(list: T[]): T | undefined => list[pick % Math.max(1, list.length)]
    let act: string = action
    if (act === 'update' && own(models).length === 0) act = 'register'
    if (act === 'iupdate' && own(incidents).length === 0) act = 'report'
    if (act === 'corroborate' && incidents.filter(i => i.origin !== origin).length === 0) act = 'report'
    n++
    if (act === 'register') {
      const id = `${origin.toLowerCase()}-m${n}`
      const parent = any(models)
      out.push(w.write(origin, 'model.register', modelBody(origin, id, parent != null && pick % 2 === 0 ? { parent: { modelId: parent.id, relation: 'fine-tune' } } : {})).bytes)
      models.push({ origin, id })
    } else if (act === 'update') {
      const m = any(own(models)) as { id: string }
      out.push(w.write(origin, 'model.update', { modelId: m.id, stage: pick % 2 === 0 ? 'deployed' : 'decommissioned', parameters: pick }).bytes)
    } else if (act === 'report') {
      const id = `${origin.toLowerCase()}-i${n}`
      // Names a model that may be another member's, or one nobody registered yet.
      const model = any(models)?.id ?? `unknown-${pick}`
      out.push(w.write(origin, 'incident.report', incidentBody(id, [model], { severity: pick % 2 === 0 ? 'critical' : 'low' })).bytes)
      incidents.push({ origin, id })
    } else if (act === 'iupdate') {
      const i = any(own(incidents)) as { id: string }
      out.push(w.write(origin, 'incident.update', { incidentId: i.id, status: 'resolved', report: 'final' }).bytes)
    } else {
      const i = any(incidents.filter(x => x.origin !== origin)) as { id: string }
      out.push(w.write(origin, 'incident.corroborate', { incidentId: i.id, note: `seen by ${origin}` }).bytes)
    }
  }
  return out
}

function fold (records: Uint8Array[], batch = 1): { digest: string, state: string, size: number } {
  const ledger = new Ledger({ path: ':memory:', roster: fed.roster })
  try {
    for (let i = 0; i < records.length; i += batch) ledger.admitMany(records.slice(i, i + batch))
    return { digest: ledger.digest(), state: canonicalize(ledger.state.snapshot()) as string, size: ledger.size }
  } finally {
    ledger.close()
  }
}

describe('records: the fold is a function of the set of records', () => {
  it('random permutations with duplicates, delivered one by one or in batches, give the same state and digest', () => {
    fc.assert(fc.property(
      planArb.chain(plan => {
        const records = recordsOf(plan)
        return fc.record({
          records: fc.constant(records),
          order: fc.shuffledSubarray([...records.keys(), ...records.keys()], { minLength: records.length * 2 }),
          dupes: fc.array(fc.nat({ max: records.length - 1 }), { maxLength: 10 }),
          batch: fc.integer({ min: 1, max: 7 })
        })
      }),
      ({ records, order, dupes, batch }) => {
        const reference = fold(records)
        assert.equal(reference.size, records.length, 'in order, every record is accepted')
        const shuffled = [...order, ...dupes].map(i => records[i] as Uint8Array)
        const got = fold(shuffled, batch)
        assert.equal(got.digest, reference.digest)
        assert.equal(got.state, reference.state)
        assert.equal(got.size, records.length)
      }
    ), { numRuns: 60 })
  })

  it('uses every kind and more than five origins', () => {
    const plan = ACTIONS.flatMap((action, i) => fed.ids.map(origin => ({ origin, action, pick: i })))
    const ledger = new Ledger({ path: ':memory:', roster: fed.roster })
    for (const r of recordsOf(plan)) assert.equal(ledger.admit(r).verdict, 'accept')
    const counts = ledger.state.snapshot().counts as Record<string, number>
    for (const kind of ['model.register', 'model.update', 'incident.report', 'incident.update', 'incident.corroborate']) {
      assert.ok((counts[kind] ?? 0) > 0, `${kind} folded`)
    }
    assert.equal(Object.keys(ledger.vector()).length, fed.ids.length)
    ledger.close()
  })
})
