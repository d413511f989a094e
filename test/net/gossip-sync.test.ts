import { strict as assert } from 'node:assert'
import Database from 'better-sqlite3'
import { cluster, converged, type Cluster } from './cluster.ts'
import { incidentBody, modelBody, waitFor } from '../fixtures.ts'
import { RECORDS_TOPIC } from '../../src/net/index.ts'

describe('net: every member gets every record (real libp2p nodes on 127.0.0.1)', function () {
  this.timeout(120_000)
  let c: Cluster | undefined
  afterEach(async () => { await c?.stop(); c = undefined })

  it('8 nodes in a sparse topology converge on identical digests; every record reaches every node', async () => {
    const ids = ['US', 'GB', 'EU', 'JP', 'CA', 'FR', 'DE', 'KR']
    // A ring plus two chords: each node links to 2–3 others.
    const links: Array<[string, string]> = ids.map((id, i) => [id, ids[(i + 1) % ids.length] as string])
    links.push(['US', 'JP'], ['GB', 'DE'])
    c = await cluster(ids, links)
    const nodes = [...c.nodes.values()]
    await waitFor(() => nodes.every(n => n.network.gossip.meshPeers().length >= 2), 'gossip meshes to form')
    const ids2: string[] = []
    for (const node of nodes) {
      const a = await node.submit('model.register', modelBody(node.id, `${node.id.toLowerCase()}-1`))
      assert.equal(a.verdict, 'accept')
      ids2.push(a.id as string)
      const b = await node.submit('incident.report', incidentBody(`${node.id.toLowerCase()}-i1`, [`${node.id.toLowerCase()}-1`]))
      ids2.push(b.id as string)
    }
    const digest = await converged(nodes)
    for (const node of nodes) {
      for (const id of ids2) assert.ok(node.ledger.has(id), `${node.id} holds ${id}`)
      assert.equal(node.ledger.size, ids2.length)
      assert.equal(node.digest(), digest)
    }
    // Gossip records commit behind (Ledger.admitSoon): with nobody reading, every node's queue
    // drains by itself, and what is on disk is everything held (read by a separate connection).
    await waitFor(() => nodes.every(n => n.ledger.store.queuedWrites === 0), 'queued gossip records to commit', 5_000, 10)
    for (const node of nodes) {
      const raw = new Database(node.ledger.store.file as string, { readonly: true })
      assert.equal(raw.prepare('SELECT COUNT(*) FROM records').pluck().get(), ids2.length, `${node.id}: records on disk`)
      raw.close()
    }
  })

  it('a record no peer takes by gossip reaches the connected members by sync at once, not at the next periodic round', async () => {
    // Periodic rounds an hour apart: only the round publish() asks for can carry the record.
    c = await cluster(['US', 'GB'], [['US', 'GB']], { syncEveryMs: 3_600_000 })
    const us = c.nodes.get('US')!
    const gb = c.nodes.get('GB')!
    await waitFor(() => us.network.connectedMembers().includes('GB'), 'US and GB to connect')
    // GB leaves the records topic, as a link does before its gossip stream is open.
    gb.network.libp2p.services.pubsub.unsubscribe(RECORDS_TOPIC)
    await waitFor(() => us.network.libp2p.services.pubsub.getSubscribers(RECORDS_TOPIC).length === 0, 'US to see GB leave the topic')
    const a = await us.submit('model.register', modelBody('US', 'us-1'))
    assert.equal(a.verdict, 'accept')
    await waitFor(() => gb.ledger.has(a.id!), 'GB to get the record by sync')
    assert.equal(gb.digest(), us.digest())
  })

  it('a node stopped while 1,000 records are written elsewhere catches up after restart from its data', async () => {
    const ids = ['US', 'GB', 'JP', 'KE']
    c = await cluster(ids, [['US', 'GB'], ['GB', 'JP'], ['JP', 'KE'], ['KE', 'US']])
    const cl = c
    await converged([...cl.nodes.values()])
    const jp = cl.nodes.get('JP')
    await jp?.submit('model.register', modelBody('JP', 'jp-1'))
    await converged([...cl.nodes.values()])
    await jp?.stop()
    cl.nodes.delete('JP')
    const writers = ['US', 'GB', 'KE'].map(id => cl.nodes.get(id)!)
    for (const w of writers) await w.submit('model.register', modelBody(w.id, `${w.id.toLowerCase()}-m`))
    for (let i = 0; i < 1000 - 3; i++) {
      const w = writers[i % 3]!
      const a = await w.submit('model.update', { modelId: `${w.id.toLowerCase()}-m`, parameters: i })
      assert.equal(a.verdict, 'accept')
    }
    const live = [...cl.nodes.values()]
    await converged(live)
    assert.equal(live[0]!.ledger.size, 1001)
    const back = await cl.start('JP', [cl.nodes.get('GB')!.multiaddrs[0]!, cl.nodes.get('KE')!.multiaddrs[0]!])
    assert.equal(back.ledger.size, 1, 'restarted from its own data')
    const digest = await converged([...cl.nodes.values()], 'the restarted node to catch up')
    assert.equal(back.digest(), digest)
    assert.equal(back.ledger.size, 1001)
  })

  it('a partition into two halves, with records on both sides, heals to identical digests', async () => {
    const ids = ['US', 'GB', 'EU', 'JP', 'SG', 'IN']
    const links: Array<[string, string]> = [['US', 'GB'], ['GB', 'EU'], ['EU', 'US'], ['JP', 'SG'], ['SG', 'IN'], ['IN', 'JP'], ['EU', 'JP'], ['US', 'SG']]
    c = await cluster(ids, links)
    const cl = c
    const all = [...cl.nodes.values()]
    await converged(all)
    const west = ['US', 'GB', 'EU'].map(id => cl.nodes.get(id)!)
    const east = ['JP', 'SG', 'IN'].map(id => cl.nodes.get(id)!)
    // The partition is made by each side's gater refusing the other side.
    for (const n of west) await n.network.block(east.map(e => e.peerId))
    for (const n of east) await n.network.block(west.map(w => w.peerId))
    await waitFor(() => west.every(w => w.network.connectedMembers().every(m => ['US', 'GB', 'EU'].includes(m))), 'the partition to cut every cross link')
    for (const n of all) {
      for (let i = 0; i < 5; i++) await n.submit('model.register', modelBody(n.id, `${n.id.toLowerCase()}-p${i}`))
    }
    await converged(west, 'the west to agree')
    await converged(east, 'the east to agree')
    assert.notEqual(west[0]!.digest(), east[0]!.digest(), 'the halves diverged during the partition')
    for (const n of all) n.network.unblock()
    const digest = await converged(all, 'the healed federation to agree')
    for (const n of all) { assert.equal(n.ledger.size, 30); assert.equal(n.digest(), digest) }
  })
})
