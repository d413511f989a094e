/** Which addresses a node announces and shares: another host's loopback is of no use here. */
import { strict as assert } from 'node:assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isHostLocal, isLoopback, peerAddressFilter, reachableFromElsewhere } from '../../src/net/addresses.ts'
import { AccordNode } from '../../src/node/accord-node.ts'
import { federation, seedFor } from '../fixtures.ts'
import { freePort } from '../ports.ts'

describe('net: addresses other hosts can use', () => {
  it('loopback and unspecified addresses are host-local; others are not', () => {
    for (const a of ['/ip4/127.0.0.1/tcp/4101', '/ip4/127.8.0.3/tcp/1', '/ip4/0.0.0.0/tcp/4101', '/ip6/::1/tcp/4101', '/ip6/::/tcp/4101']) assert.equal(isHostLocal(a), true, a)
    for (const a of ['/ip4/10.77.0.12/tcp/4101', '/ip4/128.0.0.1/tcp/1', '/ip4/100.127.0.1/tcp/1', '/dns4/accord.example/tcp/4101', '/ip6/2001:db8::1/tcp/4101', '/ip6/::ffff:1.2.3.4/tcp/1']) assert.equal(isHostLocal(a), false, a)
  })

  it('only 127.0.0.0/8 and ::1 are loopback: a node listening on 0.0.0.0 can be dialled from elsewhere', () => {
    assert.equal(isLoopback('/ip4/127.0.0.1/tcp/0'), true)
    assert.equal(isLoopback('/ip6/::1/tcp/0'), true)
    assert.equal(isLoopback('/ip4/0.0.0.0/tcp/4101'), false)
    assert.equal(isLoopback('/ip4/10.77.0.12/tcp/4101'), false)
  })

  it('a node listening on 0.0.0.0 has 127.0.0.1 as well: only its other addresses go to other hosts, unless it has none', () => {
    assert.deepEqual(reachableFromElsewhere(['/ip4/127.0.0.1/tcp/4101', '/ip4/10.77.0.12/tcp/4101']), ['/ip4/10.77.0.12/tcp/4101'])
    assert.deepEqual(reachableFromElsewhere(['/ip4/127.0.0.1/tcp/4101']), ['/ip4/127.0.0.1/tcp/4101'])
  })

  it('other members\' loopback addresses are kept and passed on only by a node that has nothing else itself (one machine)', () => {
    const theirs = ['/ip4/127.0.0.1/tcp/4101', '/ip4/10.77.0.12/tcp/4101']
    assert.deepEqual(theirs.filter(peerAddressFilter(['/ip4/0.0.0.0/tcp/4101', '/ip4/10.77.0.11/tcp/4101'])), ['/ip4/10.77.0.12/tcp/4101'])
    assert.deepEqual(theirs.filter(peerAddressFilter(['/ip4/127.0.0.1/tcp/4101'])), theirs)
  })

  it('a node on a real network does not announce its loopback address (identify, and so every peer store, address book and sync hello)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-addrs-'))
    const port = await freePort()
    // Nothing dials this node: the name is only announced, never resolved.
    const node = await AccordNode.create({ id: 'GB', seed: seedFor('GB'), roster: federation(['GB', 'US']).roster, dbPath: join(dir, 'GB.db'), listen: [`/ip4/127.0.0.1/tcp/${port}`], announce: [`/ip4/127.0.0.1/tcp/${port}`, `/dns4/gb.accord.example/tcp/${port}`], loopback: false, writeSettleMs: 200 })
    try {
      await node.start()
      assert.deepEqual(node.multiaddrs, [`/dns4/gb.accord.example/tcp/${port}/p2p/${node.peerId}`])
    } finally {
      await node.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
