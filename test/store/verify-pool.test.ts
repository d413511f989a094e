import { strict as assert } from 'node:assert'
import { Ledger } from '../../src/store/ledger.ts'
import { VerifyPool } from '../../src/store/verify-pool.ts'
import { canonicalBytes, SigningKey, authorRecord } from '../../src/records/index.ts'
import { federation, modelBody, seedFor, Writer } from '../fixtures.ts'

describe('store: signatures verified on worker threads', () => {
  const fed = federation(['US', 'GB', 'JP'])
  let pool: VerifyPool
  before(() => { pool = new VerifyPool(2) })
  after(async () => { await pool.close() })

  it('prepare() on worker threads + admitMany gives exactly the verdicts of admitMany, forgeries included', async () => {
    const w = new Writer(fed)
    const batch: Uint8Array[] = []
    for (let i = 0; i < 40; i++) {
      const origin = fed.ids[i % 3] as string
      batch.push(w.write(origin, i < 3 ? 'model.register' : 'model.update', i < 3 ? modelBody(origin, `${origin.toLowerCase()}-m`) : { modelId: `${origin.toLowerCase()}-m`, parameters: i }).bytes)
    }
    // A forged record (GB's seq 15 signed by US's key), a tampered one, junk, a non-member and a duplicate.
    const forged = authorRecord(new SigningKey(seedFor('US')), 'GB', w.tips.get('GB'), 'model.update', { modelId: 'gb-m', parameters: 1 })
    const { id: _id, ...signed } = w.write('JP', 'model.update', { modelId: 'jp-m', parameters: 2 }).record
    batch.push(forged.bytes, canonicalBytes({ ...signed, body: { modelId: 'jp-m', parameters: 3 } }), new TextEncoder().encode('nope'),
      authorRecord(new SigningKey(seedFor('XX')), 'XX', undefined, 'model.register', modelBody('XX', 'xx')).bytes, batch[5] as Uint8Array)
    const a = new Ledger({ path: ':memory:', roster: fed.roster })
    const b = new Ledger({ path: ':memory:', roster: fed.roster })
    const plain = a.admitMany(batch).map(x => `${x.verdict}/${x.code}`)
    const pooled = b.admitMany(batch, false, await b.prepare(batch, pool)).map(x => `${x.verdict}/${x.code}`)
    assert.deepEqual(pooled, plain)
    assert.equal(plain.filter(v => v === 'accept/accepted').length, 40)
    assert.deepEqual(plain.slice(40), ['reject/bad-signature', 'reject/bad-signature', 'reject/malformed', 'reject/not-member', 'ignore/duplicate'])
    assert.equal(a.digest(), b.digest())
    a.close(); b.close()
  })
})
