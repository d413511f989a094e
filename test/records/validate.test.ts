import { strict as assert } from 'node:assert'
import { authorRecord, canonicalBytes, decodeRecord, MAX_RECORD_BYTES, SigningKey, signingPayloadForTest } from './helpers.ts'
import { Ledger } from '../../src/store/ledger.ts'
import { federation, incidentBody, modelBody, seedFor, Writer } from '../fixtures.ts'

describe('records: the one validator', () => {
  const fed = federation(['US', 'GB', 'JP', 'FR', 'KE'])
  let ledger: Ledger
  let w: Writer
  beforeEach(() => { ledger = new Ledger({ path: ':memory:', roster: fed.roster }); w = new Writer(fed) })
  afterEach(() => ledger.close())

  function resign (record: Record<string, unknown>, key: SigningKey): Uint8Array {
    const { sig: _sig, id: _id, ...unsigned } = record
    const sig = Buffer.from(key.sign(signingPayloadForTest(unsigned as never))).toString('base64url')
    return canonicalBytes({ ...unsigned, sig })
  }

  it('accepts a well-formed record and ignores it when it comes again', () => {
    const { bytes } = w.write('GB', 'model.register', modelBody('GB', 'gb-1'))
    assert.equal(ledger.admit(bytes).verdict, 'accept')
    const again = ledger.admit(bytes)
    assert.equal(again.verdict, 'ignore')
    assert.equal(again.code, 'duplicate')
  })

  it('rejects an incident that occurred after its own report (schema), within an hour of clock skew', () => {
    const T = 1_790_000_000_000
    const future = ledger.admit(w.write('GB', 'incident.report', incidentBody('gb-i-1', ['m'], { occurredAt: 8_640_000_000_000_000, detectedAt: 8_640_000_000_000_000 }), T).bytes)
    assert.equal(future.code, 'schema'); assert.equal(future.field, 'body.occurredAt')
    w.tips.delete('GB')
    const skewed = ledger.admit(w.write('GB', 'incident.report', incidentBody('gb-i-2', ['m'], { occurredAt: T + 30 * 60_000, detectedAt: T + 40 * 60_000 }), T).bytes)
    assert.equal(skewed.verdict, 'accept', skewed.message)
  })

  it('rejects a forged signature (bad-signature)', () => {
    const { record } = w.write('GB', 'model.register', modelBody('GB', 'gb-1'))
    const sig = Buffer.from(record.sig, 'base64url'); sig[0] = (sig[0] as number) ^ 0xff
    const { id: _id, ...signed } = record
    const a = ledger.admit(canonicalBytes({ ...signed, sig: sig.toString('base64url') }))
    assert.equal(a.verdict, 'reject'); assert.equal(a.code, 'bad-signature'); assert.equal(a.field, 'sig')
  })

  it('rejects a tampered body (bad-signature)', () => {
    const { record } = w.write('GB', 'model.register', modelBody('GB', 'gb-1'))
    const { id: _id, ...signed } = record
    const a = ledger.admit(canonicalBytes({ ...signed, body: { ...(signed.body as object), parameters: 1 } }))
    assert.equal(a.verdict, 'reject'); assert.equal(a.code, 'bad-signature')
  })

  it('rejects a record signed with another member\'s key (bad-signature)', () => {
    const { record } = w.write('GB', 'model.register', modelBody('GB', 'gb-1'))
    const a = ledger.admit(resign(record as never, fed.keys.get('US') as SigningKey))
    assert.equal(a.verdict, 'reject'); assert.equal(a.code, 'bad-signature')
  })

  it('rejects an origin outside the roster (not-member)', () => {
    const outsider = new SigningKey(seedFor('XX'))
    const { bytes } = authorRecord(outsider, 'XX', undefined, 'model.register', modelBody('XX', 'xx-1'))
    const a = ledger.admit(bytes)
    assert.equal(a.verdict, 'reject'); assert.equal(a.code, 'not-member'); assert.equal(a.field, 'origin')
  })

  it('rejects an oversized record before parsing it (oversized)', () => {
    const a = ledger.admit(new Uint8Array(MAX_RECORD_BYTES + 1).fill(0x20))
    assert.equal(a.verdict, 'reject'); assert.equal(a.code, 'oversized')
    const big = w.write('GB', 'incident.report', incidentBody('i-1', ['m'], { description: 'x'.repeat(15_000) }))
    assert.ok(big.bytes.length < MAX_RECORD_BYTES)
  })

  it('rejects malformed bytes, a bad envelope and non-canonical encodings (malformed)', () => {
    const cases: Array<[Uint8Array, string | undefined]> = [
      [new TextEncoder().encode('{not json'), undefined],
      [new Uint8Array([0xff, 0xfe, 0x00]), undefined],
      [canonicalBytes({ v: 1, origin: 'GB' }), 'seq'],
      [canonicalBytes({ v: 2, origin: 'GB', seq: 1, prev: null, time: 1, kind: 'model.register', body: {}, sig: 'a'.repeat(86) }), 'v']
    ]
    for (const [bytes, field] of cases) {
      const a = ledger.admit(bytes)
      assert.equal(a.verdict, 'reject'); assert.equal(a.code, 'malformed', a.message)
      if (field != null) assert.ok(a.field === field || a.message.includes(field), `${a.field} / ${a.message}`)
    }
    const { record } = w.write('GB', 'model.register', modelBody('GB', 'gb-1'))
    const { id: _id, ...signed } = record
    const spaced = new TextEncoder().encode(JSON.stringify(signed, null, 2))
    const a = ledger.admit(spaced)
    assert.equal(a.code, 'malformed'); assert.match(a.message, /canonical/)
  })

  it('rejects an unknown kind (unknown-kind) and a schema violation naming the field (schema)', () => {
    const unknown = ledger.admit(w.write('GB', 'model.teleport', { modelId: 'x' }).bytes)
    assert.equal(unknown.code, 'unknown-kind'); assert.equal(unknown.field, 'kind')
    const w2 = new Writer(fed)
    const bad = ledger.admit(w2.write('GB', 'incident.report', incidentBody('i-1', ['m'], { severity: 'apocalyptic' })).bytes)
    assert.equal(bad.verdict, 'reject'); assert.equal(bad.code, 'schema'); assert.equal(bad.field, 'body.severity')
    const w3 = new Writer(fed)
    const missing = ledger.admit(w3.write('GB', 'model.register', { modelId: 'gb-1' }).bytes)
    assert.equal(missing.code, 'schema'); assert.match(missing.field ?? '', /^body\./)
  })

  it('rejects a prev that does not match the held record seq-1 (wrong-prev)', () => {
    ledger.admit(w.write('GB', 'model.register', modelBody('GB', 'gb-1')).bytes)
    w.tips.set('GB', { seq: 1, head: 'f'.repeat(64) })
    const a = ledger.admit(w.write('GB', 'model.update', { modelId: 'gb-1', stage: 'deployed' }).bytes)
    assert.equal(a.verdict, 'reject'); assert.equal(a.code, 'wrong-prev'); assert.equal(a.field, 'prev')
  })

  it('rejects an update of another member\'s model or incident (not-owner)', () => {
    ledger.admit(w.write('GB', 'model.register', modelBody('GB', 'gb-1')).bytes)
    ledger.admit(w.write('GB', 'incident.report', incidentBody('gb-i-1', ['gb-1'])).bytes)
    const m = ledger.admit(w.write('US', 'model.update', { modelId: 'gb-1', stage: 'deployed' }).bytes)
    assert.equal(m.verdict, 'reject'); assert.equal(m.code, 'not-owner'); assert.equal(m.field, 'body.modelId')
    const w2 = new Writer(fed)
    const i = ledger.admit(w2.write('US', 'incident.update', { incidentId: 'gb-i-1', status: 'resolved' }).bytes)
    assert.equal(i.code, 'not-owner')
    const w3 = new Writer(fed)
    const j = ledger.admit(w3.write('US', 'model.register', modelBody('GB', 'us-1')).bytes)
    assert.equal(j.code, 'not-owner'); assert.equal(j.field, 'body.jurisdiction')
  })

  it('holds a record ahead of a gap as pending and releases the chain in order when it fills', () => {
    const r1 = w.write('JP', 'model.register', modelBody('JP', 'jp-1'))
    const r2 = w.write('JP', 'model.update', { modelId: 'jp-1', stage: 'deployed' })
    const r3 = w.write('JP', 'model.update', { modelId: 'jp-1', parameters: 7 })
    const gaps: unknown[] = []
    ledger.on('gap', g => gaps.push(g))
    const a3 = ledger.admit(r3.bytes)
    assert.equal(a3.verdict, 'pending'); assert.deepEqual(a3.gap, { origin: 'JP', from: 1, to: 2 })
    assert.equal(ledger.admit(r2.bytes).verdict, 'pending')
    assert.equal(gaps.length, 2)
    assert.equal(ledger.tip('JP'), undefined)
    const order: number[] = []
    ledger.on('accepted', r => order.push(r.seq))
    assert.equal(ledger.admit(r1.bytes).verdict, 'accept')
    assert.deepEqual(order, [1, 2, 3])
    assert.equal(ledger.tip('JP')?.seq, 3)
    assert.equal(ledger.state.model('jp-1')?.stage, 'deployed')
    assert.equal(ledger.state.model('jp-1')?.parameters, 7)
    assert.equal(ledger.pendingCount, 0)
  })

  it('keeps an equivocation as proof, freezes the chain and shows it in the state', () => {
    ledger.admit(w.write('FR', 'model.register', modelBody('FR', 'fr-1')).bytes)
    const fork = new Writer(fed); fork.tips.set('FR', { ...(w.tips.get('FR') as { seq: number, head: string }) })
    const a = w.write('FR', 'model.update', { modelId: 'fr-1', stage: 'deployed' })
    const b = fork.write('FR', 'model.update', { modelId: 'fr-1', stage: 'training', note: 'the other story' })
    assert.equal(ledger.admit(a.bytes).verdict, 'accept')
    const forks: unknown[] = []
    ledger.on('equivocation', f => forks.push(f))
    const e = ledger.admit(b.bytes)
    assert.equal(e.verdict, 'equivocation'); assert.equal(e.conflictsWith, a.record.id)
    assert.equal(forks.length, 1)
    assert.deepEqual(ledger.state.forks.get('FR'), { origin: 'FR', seq: 2, ids: [a.record.id, b.record.id] })
    assert.equal(ledger.tip('FR')?.frozenAt, 2)
    assert.equal(ledger.state.model('fr-1')?.stage, 'training', 'the fold stops before the fork')
    const after = ledger.admit(w.write('FR', 'model.update', { modelId: 'fr-1', parameters: 3 }).bytes)
    assert.equal(after.verdict, 'ignore'); assert.equal(after.code, 'chain-frozen')
    assert.equal(ledger.admit(b.bytes).code, 'duplicate')
    assert.equal(ledger.forkProofs().length, 1)
    assert.deepEqual(decodeRecord(ledger.forkProofs()[0]?.bytes[1] as Uint8Array).seq, 2)
  })
})

describe('records: codec', () => {
  it('cuts the signing payload from canonical bytes exactly as encoding the unsigned record would', async () => {
    const { signingPayload, signingPayloadOf } = await import('../../src/records/codec.ts')
    const w = new Writer(federation(['GB']))
    // A body that itself holds a "sig" key must not confuse the cut.
    const { record, bytes } = w.write('GB', 'incident.report', incidentBody('gb-sig', ['m'], { description: '"sig":"x" ,"sig":"' }))
    const { id: _id, sig: _sig, ...unsigned } = record
    assert.deepEqual(Buffer.from(signingPayloadOf(bytes)), Buffer.from(signingPayload(unsigned)))
  })
})

describe('records: canonical form', () => {
  it('isCanonical agrees with re-encoding by canonicalize on varied JSON', async () => {
    const fc = (await import('fast-check')).default
    const { isCanonical, canonicalBytes } = await import('../../src/records/codec.ts')
    fc.assert(fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
      const text = pretty ? JSON.stringify(value, null, 1) : JSON.stringify(value)
      if (text === undefined) return
      const parsed = JSON.parse(text)
      const expected = Buffer.from(canonicalBytes(parsed)).toString() === text
      assert.equal(isCanonical(text, parsed), expected, text)
    }), { numRuns: 2000 })
  })
})
