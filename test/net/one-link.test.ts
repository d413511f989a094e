/**
 * Two members that dial each other at the same moment (both start together, each listing the
 * other as a bootstrap member) end with one link between them, not two kept for ever.
 */
import { strict as assert } from 'node:assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AccordNode } from '../../src/node/accord-node.ts'
import { memberPeerId } from '../../src/net/peer-ids.ts'
import { federation, seedFor, waitFor } from '../fixtures.ts'
import { freePort } from '../ports.ts'

describe('net: one link per pair of members', function () {
  this.timeout(60_000)

  it('two members dialling each other at once keep one link, and gossip flows over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-one-link-'))
    const ids = ['GB', 'US', 'JP', 'CA']
    const fed = federation(ids)
    const ports = await Promise.all(ids.map(async () => await freePort()))
    const peerOf = (id: string): string => memberPeerId(fed.roster.list().find(m => m.id === id)!)
    // Every member lists every other: each pair dials both ways at once.
    const nodes = await Promise.all(ids.map(async (id, i) => await AccordNode.create({
      id, seed: seedFor(id), roster: fed.roster, dbPath: join(dir, `${id}.db`), writeSettleMs: 500,
      listen: [`/ip4/127.0.0.1/tcp/${ports[i]}`],
      bootstrap: ids.flatMap((other, j) => other === id ? [] : [`/ip4/127.0.0.1/tcp/${ports[j]}/p2p/${peerOf(other)}`])
    })))
    const links = (n: AccordNode): string[] => n.network.libp2p.getConnections().filter(c => c.status === 'open').map(c => c.remotePeer.toString())
    try {
      await Promise.all(nodes.map(async n => { await n.start() }))
      await waitFor(() => nodes.every(n => n.network.connectedMembers().length === ids.length - 1), 'every member linked with every other')
      // One link per pair, for good: a link turned away may count as open on its dialler's side
      // for a moment (it sends its muxer choice without waiting for an answer), then closes.
      const settled = (): boolean => nodes.every(n => links(n).length === ids.length - 1)
      await waitFor(settled, 'one link per pair of members')
      // A quick close is judged a second after it (see Dialer's DIAL_FAILURE_SETTLE_MS): past that.
      const judged = Date.now() + 1_500
      await waitFor(() => Date.now() >= judged, 'the quick closes to be judged')
      assert.ok(settled(), 'still one link per pair')
      for (const n of nodes) {
        const peers = links(n)
        assert.equal(new Set(peers).size, peers.length, `${n.id} holds two links with one member`)
        // Turned-away dials are no failures and no refusals.
        for (const other of ids.filter(o => o !== n.id)) {
          assert.equal(n.network.dialer.refusedBy(peerOf(other)), false, `${n.id} counts ${other} as refusing it`)
          assert.equal(n.network.dialer.failuresWith(peerOf(other)), 0, `${n.id} counts failures with ${other}`)
        }
      }
      const { id } = await nodes[0]!.submit('incident.report', { incidentId: 'gb-one-link-1', modelIds: ['gb-frontier-1'], severity: 'low', harms: ['cyber'], title: 't', description: 'd', occurredAt: 1_795_000_000_000, detectedAt: 1_795_000_000_000, status: 'open', tlp: 'GREEN' }).then(a => { assert.equal(a.verdict, 'accept'); return a as { id: string } })
      await waitFor(() => nodes.every(n => n.ledger.has(id)), 'the record on every member')
    } finally {
      await Promise.all(nodes.map(async n => { await n.stop() }))
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
