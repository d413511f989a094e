import { strict as assert } from 'node:assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import canonicalize from 'canonicalize'
import { Ledger } from '../../src/store/ledger.ts'
import { federation, incidentBody, modelBody, Writer } from '../fixtures.ts'
import { viewDigest, type SigningKey, type VersionVector } from '../../src/records/index.ts'

describe('store: the durable ledger', () => {
  const fed = federation(['US', 'GB', 'JP', 'FR', 'KE'])
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'accord-ledger-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('reopening rebuilds the same state, digest, vector and equivocation proofs', () => {
    const path = join(dir, 'records.db')
    const w = new Writer(fed)
    const ledger = new Ledger({ path, roster: fed.roster })
    for (const origin of fed.ids) {
      ledger.admit(w.write(origin, 'model.register', modelBody(origin, `${origin.toLowerCase()}-1`)).bytes)
      ledger.admit(w.write(origin, 'incident.report', incidentBody(`${origin.toLowerCase()}-i`, ['gb-1'])).bytes)
    }
    ledger.admit(w.write('US', 'model.register', modelBody('US', 'us-ft', { parent: { modelId: 'gb-1', relation: 'fine-tune' } })).bytes)
    ledger.admit(w.write('JP', 'incident.corroborate', { incidentId: 'gb-i' }).bytes)
    const fork = new Writer(fed); fork.tips.set('KE', w.tips.get('KE') as never)
    ledger.admit(w.write('KE', 'incident.update', { incidentId: 'ke-i', status: 'resolved' }).bytes)
    assert.equal(ledger.admit(fork.write('KE', 'incident.update', { incidentId: 'ke-i', status: 'contained' }).bytes).verdict, 'equivocation')
    const before = { digest: ledger.digest(), vector: ledger.vector(), state: canonicalize(ledger.state.snapshot()), size: ledger.size }
    ledger.close()

    const reopened = new Ledger({ path, roster: fed.roster })
    assert.equal(reopened.digest(), before.digest)
    assert.deepEqual(reopened.vector(), before.vector)
    assert.equal(canonicalize(reopened.state.snapshot()), before.state)
    assert.equal(reopened.size, before.size)
    assert.deepEqual(reopened.state.descendants('gb-1'), ['us-ft'])
    assert.equal(reopened.state.corroborationsOf('gb-i')[0]?.origin, 'JP')
    assert.equal(reopened.tip('KE')?.frozenAt, 3)
    reopened.close()
  })

  it('the vector and digest it keeps between changes always equal ones computed afresh; idAt answers tips and older records', () => {
    const path = join(dir, 'records.db')
    const w = new Writer(fed)
    const ledger = new Ledger({ path, roster: fed.roster })
    const fresh = (): string => viewDigest(JSON.parse(JSON.stringify(ledger.vector())) as VersionVector, ledger.state.forks.values())
    const steps: Array<() => unknown> = [
      () => ledger.admit(w.write('US', 'model.register', modelBody('US', 'us-1')).bytes),
      () => ledger.admit(w.write('GB', 'model.register', modelBody('GB', 'gb-1')).bytes),
      () => ledger.admit(w.write('US', 'model.update', { modelId: 'us-1', stage: 'deployed' }).bytes),
      // A record ahead of a gap changes nothing until the gap fills.
      () => ledger.admit(w.write('JP', 'model.register', modelBody('JP', 'jp-1')).bytes)
    ]
    const digests = new Set<string>()
    for (const step of steps) {
      step()
      assert.equal(ledger.digest(), fresh())
      assert.equal(ledger.vector(), ledger.vector(), 'unchanged ledger: the same vector object')
      assert.ok(Object.isFrozen(ledger.vector()) && Object.isFrozen(ledger.vector().US))
      digests.add(ledger.digest())
    }
    assert.equal(digests.size, steps.length, 'every accepted record changed the digest')
    const gapped = w.write('KE', 'model.register', modelBody('KE', 'ke-1'))
    const ahead = w.write('KE', 'model.update', { modelId: 'ke-1', stage: 'deployed' })
    const beforeGap = ledger.digest()
    assert.equal(ledger.admit(ahead.bytes).verdict, 'pending')
    assert.equal(ledger.digest(), beforeGap)
    assert.equal(ledger.admit(gapped.bytes).verdict, 'accept')
    assert.equal(ledger.vector().KE?.seq, 2, 'the gap filled and the waiting record followed')
    assert.equal(ledger.digest(), fresh())
    // An equivocation freezes the chain and adds a proof: both show at once.
    const fork = new Writer(fed); fork.tips.set('US', { seq: 1, head: ledger.idAt('US', 1) as string })
    const beforeFork = ledger.digest()
    assert.equal(ledger.admit(fork.write('US', 'model.update', { modelId: 'us-1', stage: 'decommissioned' }).bytes).verdict, 'equivocation')
    assert.notEqual(ledger.digest(), beforeFork)
    assert.equal(ledger.digest(), fresh())
    assert.equal(ledger.vector().US?.seq, 1)
    // idAt: the tip from memory, older seqs from disk, both the same as the stored rows.
    assert.equal(ledger.idAt('KE', 2), ledger.store.idAt('KE', 2))
    assert.equal(ledger.idAt('KE', 1), ledger.store.idAt('KE', 1))
    assert.equal(ledger.idAt('KE', 3), undefined)
    assert.equal(ledger.idAt('US', 1), ledger.tip('US')?.head)
    const digest = ledger.digest()
    ledger.close()
    const reopened = new Ledger({ path, roster: fed.roster })
    assert.equal(reopened.digest(), digest)
    reopened.close()
  })

  it('author() signs the member\'s next record, and rejects a bad body without writing anything', () => {
    const ledger = new Ledger({ path: join(dir, 'r.db'), roster: fed.roster })
    const key = fed.keys.get('GB') as SigningKey
    const ok = ledger.author('GB', key, 'model.register', modelBody('GB', 'gb-9'))
    assert.equal(ok.verdict, 'accept'); assert.equal(ok.record?.seq, 1)
    const bad = ledger.author('GB', key, 'model.register', { modelId: 'gb-10', stage: 'flying' })
    assert.equal(bad.verdict, 'reject'); assert.equal(bad.code, 'schema')
    const next = ledger.author('GB', key, 'model.update', { modelId: 'gb-9', stage: 'deployed' })
    assert.equal(next.record?.seq, 2, 'a rejected body used no seq')
    assert.equal(ledger.state.model('gb-9')?.stage, 'deployed')
    ledger.close()
  })

  it('author() on a chain frozen by an equivocation says chain-frozen, also when the fork is at seq 1', () => {
    const ledger = new Ledger({ path: ':memory:', roster: fed.roster })
    try {
      const a = new Writer(fed).write('US', 'model.register', modelBody('US', 'us-a'))
      const b = new Writer(fed).write('US', 'model.register', modelBody('US', 'us-b'))
      assert.equal(ledger.admit(a.bytes).verdict, 'accept')
      assert.equal(ledger.admit(b.bytes).verdict, 'equivocation')
      const next = ledger.author('US', fed.keys.get('US') as SigningKey, 'model.register', modelBody('US', 'us-c'))
      assert.equal(next.code, 'chain-frozen')
      assert.match(next.message, /US's chain is frozen at seq 1/)
    } finally {
      ledger.close()
    }
  })

  it('lineage: copies and derivatives transitively, even when registered before their parent arrives', () => {
    const w = new Writer(fed)
    const ledger = new Ledger({ path: ':memory:', roster: fed.roster })
    const child = w.write('US', 'model.register', modelBody('US', 'us-copy', { parent: { modelId: 'gb-base', relation: 'copy' } }))
    const grandchild = w.write('JP', 'model.register', modelBody('JP', 'jp-q', { parent: { modelId: 'us-copy', relation: 'quantisation' } }))
    ledger.admit(grandchild.bytes); ledger.admit(child.bytes)
    ledger.admit(w.write('GB', 'model.register', modelBody('GB', 'gb-base')).bytes)
    assert.deepEqual(ledger.state.descendants('gb-base'), ['jp-q', 'us-copy'])
    assert.deepEqual(ledger.state.ancestors('jp-q'), ['us-copy', 'gb-base'])
    ledger.close()
  })
})
