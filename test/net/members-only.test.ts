import { strict as assert } from 'node:assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cluster, converged, type Cluster } from './cluster.ts'
import { federation, incidentBody, modelBody, seedFor, waitFor } from '../fixtures.ts'
import { AccordNode } from '../../src/node/accord-node.ts'
import { memberPeerId, RECORDS_TOPIC } from '../../src/net/index.ts'
import { authorRecord, canonicalBytes, SigningKey } from '../../src/records/index.ts'

describe('net: members only, and misbehaviour is contained', function () {
  this.timeout(120_000)
  let c: Cluster | undefined
  let outsider: AccordNode | undefined
  afterEach(async () => { await outsider?.stop(); outsider = undefined; await c?.stop(); c = undefined })

  it('a non-member (valid key, not in the roster) cannot connect, and nothing it signs appears on a member', async () => {
    c = await cluster(['US', 'GB', 'JP'], [['US', 'GB'], ['GB', 'JP']])
    const gb = c.nodes.get('GB')!
    const seen: string[] = []
    gb.network.libp2p.addEventListener('connection:open', e => { seen.push(e.detail.remotePeer.toString()) })
    // The outsider believes in a roster that lists itself, so its own node works normally.
    const own = federation(['XX', 'GB'])
    // No member will ever sync with it: its first write waits half a second, not the default 15 s.
    outsider = await AccordNode.create({ id: 'XX', seed: seedFor('XX'), roster: own.roster, dbPath: join(c.dir, 'XX.db'), bootstrap: [gb.multiaddrs[0]!], writeSettleMs: 500 })
    await outsider.start()
    const forged = await outsider.submit('model.register', modelBody('XX', 'xx-1'))
    assert.equal(forged.verdict, 'accept', 'accepted by its own node only')
    await outsider.network.dial(gb.multiaddrs[0]!).catch(() => undefined)
    await outsider.network.libp2p.services.pubsub.publish(RECORDS_TOPIC, forged.bytes!).catch(() => undefined)
    // Honest traffic still flows: wait until a new US record reaches GB and JP, then check.
    const honest = await c.nodes.get('US')!.submit('model.register', modelBody('US', 'us-1'))
    await converged([...c.nodes.values()])
    assert.ok(gb.ledger.has(honest.id!))
    await waitFor(() => outsider!.network.connectedMembers().length === 0, 'the outsider to hold no open connection')
    for (const n of c.nodes.values()) {
      assert.equal(n.ledger.has(forged.id!), false, `${n.id} never holds the outsider's record`)
      assert.ok(!n.network.connectedMembers().includes('XX'))
    }
    assert.ok(!seen.includes(outsider.peerId), 'GB never had a connection open with the outsider')
    // Each refused link counts as a failure, so the outsider backs off instead of redialling
    // twice a second for ever (links cut at once used to reset the count).
    await waitFor(() => outsider!.network.dialer.failuresWith(gb.peerId) >= 3, 'the outsider\'s redials to GB to back off')
  })

  it('an observer (a peer id a member lets in read-only) catches up to the same digest by sync, and cannot write', async () => {
    const fed = federation(['US', 'GB'])
    const dir = mkdtempSync(join(tmpdir(), 'accord-observer-'))
    const nodes: AccordNode[] = []
    try {
      const observerKey = new SigningKey(seedFor('OB'))
      const observerPeer = memberPeerId({ publicKey: observerKey.publicKeyB64 })
      const start = async (id: string, extra: object): Promise<AccordNode> => {
        const node = await AccordNode.create({ id, seed: seedFor(id), roster: fed.roster, dbPath: join(dir, `${id}.db`), writeSettleMs: 500, ...extra })
        await node.start()
        nodes.push(node)
        return node
      }
      const gb = await start('GB', { observers: [observerPeer] })
      const us = await start('US', { bootstrap: [gb.multiaddrs[0]!] })
      for (let i = 0; i < 30; i++) await gb.submit('model.register', modelBody('GB', `gb-${i}`))
      await converged([gb, us])
      // The observer was not there for any of it: only a sync round can bring it the history.
      const ob = await start('OB', { bootstrap: [gb.multiaddrs[0]!] })
      await converged([gb, us, ob], 'the observer to catch up')
      assert.equal(ob.ledger.state.model('gb-29')?.origin, 'GB')
      const write = await ob.submit('model.register', modelBody('GB', 'ob-1'))
      assert.equal(write.code, 'not-member')
      // It keeps reading: a new record reaches it too.
      await us.submit('model.register', modelBody('US', 'us-late'))
      await converged([gb, us, ob], 'the observer to hold the new record')
      assert.equal(ob.ledger.state.model('us-late')?.origin, 'US')
    } finally {
      for (const n of nodes) await n.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a member pushing forged, tampered and malformed gossip: all rejected, honest records flow, its score goes negative', async () => {
    c = await cluster(['US', 'GB', 'JP', 'KE'], [['US', 'GB'], ['GB', 'JP'], ['JP', 'KE'], ['KE', 'US']])
    const nodes = [...c.nodes.values()]
    await waitFor(() => nodes.every(n => n.network.gossip.meshPeers().length >= 2), 'gossip meshes to form')
    const rogue = c.nodes.get('KE')!
    const gb = c.nodes.get('GB')!
    const good = await gb.submit('model.register', modelBody('GB', 'gb-1'))
    await converged(nodes)
    const bad: Uint8Array[] = []
    // Forged: GB's record re-signed by KE's key.
    const fake = authorRecord(new SigningKey(seedFor('KE')), 'GB', { seq: 1, head: good.id! }, 'model.update', { modelId: 'gb-1', stage: 'deployed' })
    bad.push(fake.bytes)
    // Tampered: a valid KE record with its body changed after signing.
    const ke = authorRecord(new SigningKey(seedFor('KE')), 'KE', rogue.ledger.tip('KE'), 'incident.report', incidentBody('ke-1', ['gb-1']))
    const { id: _id, ...signed } = ke.record
    bad.push(canonicalBytes({ ...signed, body: { ...(signed.body as object), severity: 'low' } }))
    // Malformed: not JSON at all, and a schema violation.
    bad.push(new TextEncoder().encode('{"v":1,"oops"'))
    bad.push(authorRecord(new SigningKey(seedFor('KE')), 'KE', rogue.ledger.tip('KE'), 'incident.report', { incidentId: 'x' }).bytes)
    for (let round = 0; round < 3; round++) {
      for (const b of bad) {
        // Vary the bytes so gossip's duplicate cache does not drop the repeats.
        const copy = round === 0 ? b : new Uint8Array([...b, 0x20])
        await rogue.network.libp2p.services.pubsub.publish(RECORDS_TOPIC, copy).catch(() => undefined)
      }
    }
    const honest = await c.nodes.get('US')!.submit('model.register', modelBody('US', 'us-1'))
    await converged(nodes)
    for (const n of nodes) {
      assert.ok(n.ledger.has(honest.id!), `${n.id} got the honest record`)
      assert.equal(n.ledger.has(fake.record.id), false)
      assert.equal(n.ledger.state.model('gb-1')?.stage, 'training')
      assert.equal(n.ledger.state.incident('ke-1'), undefined)
    }
    const neighbours = [c.nodes.get('US')!, c.nodes.get('JP')!]
    await waitFor(() => neighbours.every(n => n.network.gossip.score(rogue.peerId) < 0), 'the rogue\'s gossipsub score to go negative')
  })

  it('an equivocating member (two records, same seq): every honest node holds the proof', async () => {
    const ids = ['US', 'GB', 'JP', 'KE', 'FR']
    c = await cluster(ids, [['US', 'GB'], ['GB', 'JP'], ['JP', 'KE'], ['KE', 'FR']])
    const nodes = [...c.nodes.values()]
    await waitFor(() => nodes.every(n => n.network.gossip.meshPeers().length >= 1), 'gossip meshes to form')
    const us = c.nodes.get('US')!
    await us.submit('model.register', modelBody('US', 'us-1'))
    await converged(nodes)
    const tip = us.ledger.tip('US')
    const a = await us.submit('model.update', { modelId: 'us-1', stage: 'deployed' })
    // The second story at the same seq, pushed to the other end of the line.
    const b = authorRecord(new SigningKey(seedFor('US')), 'US', tip, 'model.update', { modelId: 'us-1', stage: 'training', note: 'never mind' })
    const fr = c.nodes.get('FR')!
    assert.equal(fr.ledger.admit(b.bytes).verdict === 'accept' || fr.ledger.has(b.record.id), true)
    await converged(nodes, 'every node to hold the same proof')
    for (const n of nodes) {
      const fork = n.ledger.state.forks.get('US')
      assert.ok(fork != null, `${n.id} holds the equivocation proof`)
      assert.deepEqual([...fork.ids].sort(), [a.id!, b.record.id].sort())
      assert.equal(n.ledger.tip('US')?.frozenAt, 2)
      // What the operator's `accord view` reads: the frozen chain, named.
      assert.deepEqual((await n.view()).frozen.map(f => [f.origin, f.seq]), [['US', 2]])
    }
  })
})

describe('net: a link that carries no gossip is redialled', function () {
  this.timeout(60_000)
  it('closes a member link whose peer never became a gossip subscriber', async () => {
    const fed = federation(['US', 'GB'])
    const dir = mkdtempSync(join(tmpdir(), 'accord-watchdog-'))
    const us = await AccordNode.create({ id: 'US', seed: seedFor('US'), roster: fed.roster, dbPath: join(dir, 'us.db'), gossipWatchdogMs: 300 })
    const gb = await AccordNode.create({ id: 'GB', seed: seedFor('GB'), roster: fed.roster, dbPath: join(dir, 'gb.db') })
    try {
      await us.start(); await gb.start()
      // GB leaves the topic, as if identify had failed and gossipsub never learnt of it.
      gb.network.libp2p.services.pubsub.unsubscribe(RECORDS_TOPIC)
      const closed: string[] = []
      us.network.libp2p.addEventListener('connection:close', e => { closed.push(e.detail.remotePeer.toString()) })
      await gb.network.dial(us.multiaddrs[0]!)
      await waitFor(() => closed.includes(gb.peerId), 'US to close the silent link to GB')
    } finally {
      await us.stop(); await gb.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
