/**
 * Writes after a start open only once the node holds as much of its own chain as a member says
 * it holds (a lost or restored store would otherwise reuse a seq: an equivocation, for good).
 */
import { strict as assert } from 'node:assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ledger } from '../../src/store/ledger.ts'
import { WriteGate, type WritesOpen } from '../../src/node/write-gate.ts'
import { AccordNode } from '../../src/node/accord-node.ts'
import { NET_DEFAULTS, type SyncResult } from '../../src/net/index.ts'
import { plan } from '../../src/net/sync-protocol.ts'
import { createApi } from '../../src/api/server.ts'
import { EventLog } from '../../src/api/event-log.ts'
import { NodeMetrics } from '../../src/node/metrics.ts'
import { federation, modelBody, seedFor, waitFor, Writer } from '../fixtures.ts'

const fed = federation(['GB', 'US', 'JP'])
const round = (vector: Record<string, number>): SyncResult => ({
  peer: { vector: Object.fromEntries(Object.entries(vector).map(([o, seq]) => [o, { seq, head: 'x' }])), forks: [], digest: 'd' },
  sent: 0, received: 0, accepted: 0, rejected: 0, bytesOut: 0, bytesIn: 0, recordBytesIn: 0, ms: 1
})

/** A completed round as the scheduler reports it: the peer's hello as it starts, then its end. */
const roundWith = (gate: WriteGate, peer: string, vector: Record<string, number>): void => {
  gate.onHello(peer, round(vector).peer)
  gate.onRound(peer)
}

describe('node: when writes open after a start', function () {
  this.timeout(120_000)
  let ledger: Ledger
  let w: Writer
  let opened: WritesOpen[]
  let again: string[]
  let connected: string[]
  const gate = (settleMs = 60_000, stallMs = 60_000): WriteGate => new WriteGate({
    self: 'GB', ledger, connectedMembers: () => connected, again: p => again.push(p), memberOf: p => p.toUpperCase(), settleMs, stallMs, opened: how => opened.push(how)
  })
  const own = (n: number): void => { for (let i = 0; i < n; i++) ledger.admit(w.write('GB', 'model.register', modelBody('GB', `gb-${ledger.size}`)).bytes) }
  beforeEach(() => { ledger = new Ledger({ path: ':memory:', roster: fed.roster }); w = new Writer(fed); opened = []; again = []; connected = ['US'] })
  afterEach(() => ledger.close())

  it('a round from a member that holds more of this member\'s chain keeps writes closed and asks again while each round brings more', () => {
    const g = gate()
    g.start(true)
    own(3)
    roundWith(g, 'us', { GB: 10, US: 4 })
    assert.equal(g.isOpen, false)
    assert.deepEqual(again, ['us'])
    assert.match(g.reason(), /holds the chain up to seq 3, US up to 10/)
    own(4)
    roundWith(g, 'us', { GB: 10 })
    assert.deepEqual(again, ['us', 'us'], 'the round brought more: another')
    roundWith(g, 'us', { GB: 10 })
    assert.deepEqual(again, ['us', 'us'], 'a round that brought none of it: not asked again at once')
    own(3)
    roundWith(g, 'us', { GB: 10 })
    assert.deepEqual(opened, ['synced'])
    g.stop()
  })

  it('with no member connected, writes open at the settle time; never while a member is known to hold more of the chain', async () => {
    connected = []
    const g = gate(50)
    g.start(true)
    await waitFor(() => opened.length > 0, 'writes to open alone')
    assert.deepEqual(opened, ['timeout'])

    opened = []
    const held = gate(50)
    held.start(true)
    connected = ['US']
    roundWith(held, 'us', { GB: 5 })
    connected = []
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.deepEqual(opened, [], 'US said it holds seq 5 of GB: writing at seq 1 would equivocate')
    held.stop()

    // A first round still running (a long catch-up): its hello already counts, and the stall
    // timer does not open writes under it.
    connected = ['US']
    const long = gate(50, 100)
    long.start(true)
    long.onHello('us', round({ GB: 7 }).peer)
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.deepEqual(opened, [], 'a hello was read: sync works, and US holds more of the chain')
    assert.match(long.reason(), /up to seq 0, US up to 7/)
    long.stop()
  })

  it('opens at once with no other member; after a round that shows nothing missing; and when members are connected but no round ever completes', async () => {
    const alone = gate()
    alone.start(false)
    assert.deepEqual(opened, ['alone'])
    opened = []
    own(2)
    const synced = gate()
    synced.start(true)
    roundWith(synced, 'us', { GB: 2, US: 9 })
    assert.deepEqual(opened, ['synced'])
    opened = []
    const stalled = gate(50, 120)
    stalled.start(true)
    await waitFor(() => opened.length > 0, 'writes to open once sync looks broken')
    assert.deepEqual(opened, ['stalled'])
  })

  it('a round sends the asking member\'s own chain first', () => {
    own(2)
    ledger.admit(w.write('US', 'model.register', modelBody('US', 'us-1')).bytes)
    ledger.admit(w.write('JP', 'model.register', modelBody('JP', 'jp-1')).bytes)
    const empty = { vector: {}, forks: [], digest: 'd' }
    assert.equal(plan(ledger, empty, 'JP')[0]?.origin, 'JP')
    assert.equal(plan(ledger, empty, 'US')[0]?.origin, 'US')
    assert.equal(plan(ledger, empty).length, 3)
  })

  it('real nodes: a member that lost its store, with more of its chain at a member than one round carries, writes at the next seq, not a used one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-gate-'))
    const defaults = NET_DEFAULTS as { syncMaxRecordsPerRound: number, syncBatchRecords: number }
    const { syncMaxRecordsPerRound, syncBatchRecords } = defaults
    const nodes: AccordNode[] = []
    const start = async (id: string, bootstrap: string[] = []): Promise<AccordNode> => {
      const n = await AccordNode.create({ id, seed: seedFor(id), roster: federation(['GB', 'US']).roster, dbPath: join(dir, `${id}.db`), bootstrap })
      await n.start()
      nodes.push(n)
      return n
    }
    try {
      const us = await start('US')
      let gb = await start('GB', [us.multiaddrs[0]!])
      for (let i = 0; i < 150; i++) await gb.submit('model.register', modelBody('GB', `gb-${i}`))
      for (let i = 0; i < 120; i++) await us.submit('model.register', modelBody('US', `us-${i}`))
      await waitFor(() => us.ledger.vector().GB?.seq === 150 && gb.ledger.vector().US?.seq === 120, 'both to hold both chains')
      await gb.stop()
      nodes.splice(nodes.indexOf(gb), 1)
      for (const f of ['GB.db', 'GB.db-wal', 'GB.db-shm']) rmSync(join(dir, f), { force: true })
      // Rounds of 100 records in batches of 50: GB's 150 and US's 120 take three.
      Object.assign(defaults, { syncMaxRecordsPerRound: 100, syncBatchRecords: 50 })
      gb = await start('GB', [us.multiaddrs[0]!])
      const wrote = await gb.submit('model.register', modelBody('GB', 'gb-after'))
      assert.equal(wrote.verdict, 'accept', wrote.message)
      assert.equal(wrote.record?.seq, 151, 'the next seq, after every one it had signed')
      await waitFor(() => us.digest() === gb.digest(), 'one view on both')
      assert.equal(us.ledger.forkProofs().length, 0, 'no equivocation')
    } finally {
      Object.assign(defaults, { syncMaxRecordsPerRound, syncBatchRecords })
      for (const n of nodes) await n.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('POST /v1/records while writes are not open yet: 503 catching-up, saying why, after a bounded wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-gate-api-'))
    // US is in the roster but not running, and the settle time is far off: writes stay closed.
    const node = await AccordNode.create({ id: 'GB', seed: seedFor('GB'), roster: federation(['GB', 'US']).roster, dbPath: join(dir, 'GB.db'), writeSettleMs: 60_000, writeWaitMs: 200 })
    const app = createApi({ node, token: 't', events: new EventLog(), metrics: new NodeMetrics() })
    try {
      await node.start()
      const res = await app.inject({ method: 'POST', url: '/v1/records', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, payload: JSON.stringify({ kind: 'model.register', body: modelBody('GB', 'gb-1') }) })
      assert.equal(res.statusCode, 503)
      const error = JSON.parse(res.body).error
      assert.equal(error.code, 'catching-up')
      assert.match(error.message, /has not yet learnt from a member how far its member's own chain goes/)
      assert.equal(node.ledger.size, 0, 'nothing written')
    } finally {
      await app.close()
      await node.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a node whose mark says it signed more than it holds waits for a member, even with none reachable; a member\'s word then rules', async () => {
    connected = []
    const g = new WriteGate({ self: 'GB', ledger, connectedMembers: () => connected, again: p => again.push(p), memberOf: p => p.toUpperCase(), settleMs: 50, stallMs: 50, opened: how => opened.push(how), signedUpTo: { seq: 5, mark: '/data/records.db-own.json' } })
    g.start(true)
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.deepEqual(opened, [], 'no member reached, but this node signed up to seq 5 and holds none of it')
    assert.match(g.reason(), /signed its member's chain up to seq 5 but holds it only up to seq 0 .*remove \/data\/records\.db-own\.json to write from seq 1/)
    // A member that holds only seq 3 of it (the rest never left this node): its word rules.
    connected = ['US']
    g.onHello('us', round({ GB: 3 }).peer)
    assert.equal(g.isOpen, false)
    own(3)
    roundWith(g, 'us', { GB: 3 })
    assert.deepEqual(opened, ['synced'])
  })

  it('real nodes: a member whose store was lost while every other member is out of reach does not write from seq 1 again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-mark-'))
    const make = async (): Promise<AccordNode> => {
      const n = await AccordNode.create({ id: 'GB', seed: seedFor('GB'), roster: federation(['GB', 'US']).roster, dbPath: join(dir, 'GB.db'), writeSettleMs: 200, writeWaitMs: 600 })
      await n.start()
      return n
    }
    let gb = await make()
    try {
      // US is down: GB writes alone after the settle time, as before.
      for (let i = 0; i < 3; i++) assert.equal((await gb.submit('model.register', modelBody('GB', `gb-${i}`))).record?.seq, i + 1)
      await gb.stop()
      for (const f of ['GB.db', 'GB.db-wal', 'GB.db-shm']) rmSync(join(dir, f), { force: true })
      gb = await make()
      await assert.rejects(gb.submit('model.register', modelBody('GB', 'gb-again')), /signed its member's chain up to seq 3 but holds it only up to seq 0/)
      assert.equal(gb.ledger.size, 0, 'nothing written at a used seq')
    } finally {
      await gb.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
