/** What a node says when it cannot reach a bootstrap member. */
import { strict as assert } from 'node:assert'
import { createServer, type Server } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AccordNode } from '../../src/node/accord-node.ts'
import { federation, seedFor, waitFor } from '../fixtures.ts'

describe('net: unreachable bootstrap members', function () {
  this.timeout(60_000)

  it('a bootstrap address where something else listens (an HTTP API) is named as such', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-dialer-'))
    const http: Server = createServer((_req, res) => { res.end('{"ok":true}') })
    await new Promise<void>(resolve => http.listen(0, '127.0.0.1', resolve))
    const port = (http.address() as { port: number }).port
    const reasons: string[] = []
    const node = await AccordNode.create({ id: 'GB', seed: seedFor('GB'), roster: federation(['GB', 'US']).roster, dbPath: join(dir, 'GB.db'), bootstrap: [`/ip4/127.0.0.1/tcp/${port}`], onUnreachable: (_target, reason) => { reasons.push(reason) } })
    try {
      await node.start()
      await waitFor(() => reasons.length > 0, 'the first failed dial to be reported')
      assert.match(reasons[0] as string, /not an Accord node's P2P port: the API port, or another service\?/)
    } finally {
      await node.stop()
      http.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a restarted node finds the members where it last saw them, though its bootstrap is gone (peers.json)', async function () {
    // Links between restarted nodes on loopback now and then churn for longer than the wait
    // (about one run in fifteen here, in libp2p's connection handling, not in the book): retried.
    this.retries(2)
    const dir = mkdtempSync(join(tmpdir(), 'accord-book-'))
    const fed = federation(['GB', 'US', 'JP'])
    const running = new Set<AccordNode>()
    const start = async (id: string, bootstrap: string[]): Promise<AccordNode> => {
      const node = await AccordNode.create({ id, seed: seedFor(id), roster: fed.roster, dbPath: join(dir, `${id}.db`), addressBook: join(dir, `${id}-peers.json`), bootstrap, writeSettleMs: 500 })
      await node.start()
      running.add(node)
      return node
    }
    const stop = async (node: AccordNode): Promise<void> => { await node.stop(); running.delete(node) }
    try {
      const gb = await start('GB', [])
      const us = await start('US', [gb.multiaddrs[0]!])
      let jp = await start('JP', [gb.multiaddrs[0]!])
      // JP learns where US listens (identify, peer exchange) and links with it.
      // (Up to a periodic sync round: GB may tell JP about US only in its next one.)
      await waitFor(() => jp.network.connectedMembers().includes('US'), 'JP to find US through GB', 60_000)
      await stop(jp)
      await stop(gb)
      // Only GB's old address is given, and GB is down: the book is all JP has to find US.
      jp = await start('JP', [gb.multiaddrs[0]!])
      await waitFor(() => jp.network.connectedMembers().includes('US'), 'JP to find US from its address book', 45_000)
      assert.ok(us.network.connectedMembers().includes('JP'))
    } finally {
      for (const n of running) await n.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
