import { strict as assert } from 'node:assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { federation, seedFor, waitFor } from '../fixtures.ts'
import { AccordNode } from '../../src/node/accord-node.ts'
import type { Alarm, TwinKeyAlarm } from '../../src/node/alarms.ts'
import { formatView, viewProblems } from '../../src/cli/format.ts'

describe('net: one member key run by two nodes (twin-check)', function () {
  this.timeout(120_000)
  const nodes: AccordNode[] = []
  let dir = ''
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'accord-twin-')) })
  afterEach(async () => {
    await Promise.allSettled(nodes.splice(0).map(async n => { await n.stop() }))
    rmSync(dir, { recursive: true, force: true })
  })

  it('a member seeing two nodes behind one peer id alarms and tells both; a second link of one node is no twin; the alarm clears when one stops', async () => {
    const fed = federation(['US', 'GB'])
    const alarms = new Map<AccordNode, Alarm[]>()
    const start = async (dataName: string, id: string, bootstrap: string[] = []): Promise<AccordNode> => {
      const node = await AccordNode.create({ id, seed: seedFor(id), roster: fed.roster, dbPath: join(dir, `${dataName}.db`), writeSettleMs: 500, bootstrap })
      alarms.set(node, [])
      node.on('alarm', a => alarms.get(node)?.push(a))
      await node.start()
      nodes.push(node)
      return node
    }
    const twinAlarms = (n: AccordNode): TwinKeyAlarm[] => (alarms.get(n) ?? []).filter((a): a is TwinKeyAlarm => a.type === 'twin-key')
    const us = await start('US', 'US')
    const usAddr = us.multiaddrs[0]!
    const gb = await start('GB', 'GB', [usAddr])
    await waitFor(() => us.network.connectedMembers().includes('GB'), 'GB to connect to US')

    // One node with two links to US (as a simultaneous dial makes): one boot id, no twin.
    await gb.network.libp2p.dial(multiaddr(usAddr), { force: true })
    const linksFromGb = (): number => us.network.libp2p.getConnections().filter(c => c.remotePeer.equals(gb.network.libp2p.peerId) && c.status === 'open').length
    await waitFor(() => linksFromGb() >= 2, 'US to hold two links from GB')
    assert.equal(await us.network.twins.check(gb.peerId), undefined, 'two links of one node are one node')
    assert.deepEqual(twinAlarms(us), [])

    // GB's data directory copied and started elsewhere: a second node with GB's key.
    const copy = await start('GB-copy', 'GB', [usAddr])
    await waitFor(() => twinAlarms(us).length > 0 && twinAlarms(gb).length > 0 && twinAlarms(copy).length > 0, 'US to see GB twice and tell both nodes')
    const seen = twinAlarms(us)[0]!
    assert.equal(seen.member, 'GB')
    assert.equal(seen.reportedBy, 'US')
    assert.equal(seen.nodes, 2)
    assert.ok(seen.addrs.length >= 2, 'a link of each node')
    for (const twin of [gb, copy]) {
      const told = twinAlarms(twin)[0]!
      assert.equal(told.member, 'GB', 'about its own key')
      assert.equal(told.reportedBy, 'US')
      assert.equal(told.nodes, 2)
    }
    assert.equal(twinAlarms(us).length, 1, 'one alarm per sighting, not one per check')

    // The view, `accord view` and its --check say so on both sides.
    const usView = JSON.parse(JSON.stringify(await us.view()))
    assert.deepEqual(usView.twins.map((t: TwinKeyAlarm) => [t.member, t.reportedBy, t.nodes]), [['GB', 'US', 2]])
    assert.match(formatView(usView), /ALARM 2 nodes are running with GB's key/)
    assert.ok(viewProblems(usView).includes('key in use by two nodes: GB'))
    const gbView = JSON.parse(JSON.stringify(await gb.view()))
    assert.match(formatView(gbView), /ALARM another node is running with this member's key \(US sees 2 nodes as GB/)

    // The copy stops: US sees one node again, and GB hears so.
    await copy.stop()
    nodes.splice(nodes.indexOf(copy), 1)
    await waitFor(async () => (await us.view()).twins.length === 0 && (await gb.view()).twins.length === 0, 'the alarm to clear on US and GB once the copy stopped')
  })
})
