/**
 * A node that lacks thousands of records and links to several members at once takes each record
 * once, not once per link: one round at a time carries a bulk catch-up's chains, and the rounds
 * on the other links stand down and run again after it (see BULK_RECORDS in sync-protocol.ts).
 */
import { strict as assert } from 'node:assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AccordNode } from '../../src/node/accord-node.ts'
import { BULK_RECORDS } from '../../src/net/sync-protocol.ts'
import { federation, modelBody, seedFor, waitFor, Writer } from '../fixtures.ts'
import { relay, type Relay } from './relay.ts'

describe('net: bulk catch-up over several links', function () {
  this.timeout(120_000)

  it('a newcomer linking to four members that hold 3,000 records it lacks takes in each record once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-bulk-'))
    const fed = federation(['US', 'GB', 'JP', 'FR', 'KE'])
    const writer = new Writer(fed)
    const records: Uint8Array[] = []
    for (const origin of ['US', 'GB', 'JP']) {
      records.push(writer.write(origin, 'model.register', modelBody(origin, `${origin.toLowerCase()}-1`)).bytes)
      for (let i = 1; i < 1_000; i++) records.push(writer.write(origin, 'model.update', { modelId: `${origin.toLowerCase()}-1`, parameters: i }).bytes)
    }
    const nodes: AccordNode[] = []
    const relays: Relay[] = []
    try {
      const holders: AccordNode[] = []
      for (const id of ['US', 'GB', 'JP', 'FR']) {
        const node = await AccordNode.create({ id, seed: seedFor(id), roster: fed.roster, dbPath: join(dir, `${id}.db`), writeSettleMs: 500 })
        nodes.push(node)
        assert.ok(node.ledger.admitMany(records, false).every(a => a.verdict === 'accept'))
        await node.start()
        holders.push(node)
      }
      // KE reaches each holder through a relay that counts the bytes coming back, and does not
      // listen, so every link it has goes through one.
      for (const h of holders) relays.push(await relay(Number(h.multiaddrs[0]!.split('/')[4])))
      const ke = await AccordNode.create({ id: 'KE', seed: seedFor('KE'), roster: fed.roster, dbPath: join(dir, 'KE.db'), writeSettleMs: 500, listen: [], bootstrap: holders.map((h, i) => `/ip4/127.0.0.1/tcp/${relays[i]!.port}/p2p/${h.peerId}`) })
      nodes.push(ke)
      let accepted = 0
      let again = 0
      ke.network.sync.on('admitted', admissions => {
        for (const a of admissions) {
          if (a.verdict === 'accept') accepted++
          else again++
        }
      })
      await ke.start()
      await waitFor(() => ke.digest() === holders[0]!.digest(), 'KE to catch up', 60_000)
      assert.equal(accepted, records.length)
      // Each of the four links would bring all 3,000 (up to 9,000 again) if their rounds all ran at once.
      assert.ok(again < BULK_RECORDS, `${again} records taken in again`)
      // Nor do the records cross the links more than once and get dropped unread: a round that
      // stands down does so before the other side sends any (Noise, yamux, identify, hellos and
      // gossip control are the rest).
      const recordBytes = records.reduce((n, r) => n + r.length, 0)
      const carried = relays.reduce((n, r) => n + r.bytesBack(), 0)
      assert.ok(carried < recordBytes * 1.1, `${carried} bytes carried to KE for ${recordBytes} bytes of records`)
    } finally {
      for (const n of nodes) await n.stop()
      for (const r of relays) r.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
