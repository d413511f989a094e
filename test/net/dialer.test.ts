/** What a node says when it cannot reach a bootstrap member. */
import { strict as assert } from 'node:assert'
import { createServer, type Server } from 'node:http'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { AccordNode } from '../../src/node/accord-node.ts'
import { RECORDS_TOPIC } from '../../src/net/index.ts'
import { memberPeerId } from '../../src/net/peer-ids.ts'
import { federation, seedFor, waitFor } from '../fixtures.ts'
import { freePort } from '../ports.ts'

describe('net: unreachable bootstrap members', function () {
  // The address-book test waits up to 60 + 45 + 10 s in the worst case.
  this.timeout(150_000)

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
      // A link open is not yet an address known: when US dialed JP (US heard of JP first), JP
      // learns where US listens only once identify completes on that link, and the book saves
      // only what the peer store holds. Stopped before that, JP's book has no US in it.
      const usPeer = peerIdFromString(us.peerId)
      const jpKnowsWhereUsListens = async (): Promise<boolean> => ((await jp.network.libp2p.peerStore.get(usPeer).catch(() => undefined))?.addresses.length ?? 0) > 0
      await waitFor(async () => jp.network.connectedMembers().includes('US') && await jpKnowsWhereUsListens(), 'JP to find US through GB and learn where it listens', 60_000)
      await stop(jp)
      await stop(gb)
      // Only GB's old address is given, and GB is down: the book is all JP has to find US.
      jp = await start('JP', [gb.multiaddrs[0]!])
      await waitFor(() => jp.network.connectedMembers().includes('US'), 'JP to find US from its address book', 45_000)
      // The dialer's side of a link opens first: US (the listener) still has the last Noise message to check.
      await waitFor(() => us.network.connectedMembers().includes('JP'), 'US to count the link with JP too', 10_000)
    } finally {
      for (const n of running) await n.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a member that stops soon after linking is not taken for one whose gate refuses this node; an outsider\'s refusal still is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-refuse-'))
    const fed = federation(['GB', 'US'])
    const nodes: AccordNode[] = []
    try {
      const start = async (id: string, roster = fed.roster, bootstrap: string[] = []): Promise<AccordNode> => {
        const n = await AccordNode.create({ id, seed: seedFor(id), roster, dbPath: join(dir, `${id}.db`), writeSettleMs: 500, bootstrap })
        await n.start()
        nodes.push(n)
        return n
      }
      const gb = await start('GB')
      const us = await start('US', fed.roster, [gb.multiaddrs[0]!])
      // GB's gossipsub learns of US once identify with it is done.
      await waitFor(() => gb.network.libp2p.services.pubsub.getSubscribers(RECORDS_TOPIC).some(p => p.toString() === us.peerId), 'GB and US to link, and GB to identify US')
      // US stops well within the 10 s a link must last to count as stable.
      await us.stop()
      nodes.splice(nodes.indexOf(us), 1)
      await waitFor(() => gb.network.connectedMembers().length === 0, 'GB to see the link close')
      assert.equal(gb.network.dialer.refusedBy(us.peerId), false, 'a member that stopped does not refuse')
      // A node GB's roster does not list is refused by GB's gate: the outsider counts GB as refusing.
      const outsider = await start('XX', federation(['XX', 'GB']).roster, [gb.multiaddrs[0]!])
      await waitFor(() => outsider.network.dialer.refusedBy(gb.peerId), 'the outsider to count GB as refusing it')
    } finally {
      for (const n of nodes) await n.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('its own address among the bootstrap members (one list shared by every founder) is passed over, not reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-self-'))
    const [port, closed] = [await freePort(), await freePort()]
    const reports: string[] = []
    // Beside its own address, one where nothing listens: its report shows the dials ran.
    const node = await AccordNode.create({ id: 'GB', seed: seedFor('GB'), roster: federation(['GB', 'US']).roster, dbPath: join(dir, 'GB.db'), listen: [`/ip4/127.0.0.1/tcp/${port}`], bootstrap: [`/ip4/127.0.0.1/tcp/${port}`, `/ip4/127.0.0.1/tcp/${closed}`], writeSettleMs: 500, onUnreachable: target => { reports.push(target) } })
    try {
      await node.start()
      await waitFor(() => reports.length > 0 && node.network.libp2p.getDialQueue().length === 0, 'both bootstrap dials to have ended')
      assert.deepEqual(reports, [`/ip4/127.0.0.1/tcp/${closed}`])
    } finally {
      await node.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a member none of whose addresses answer is reported with each address\'s own error, not libp2p\'s "All multiaddr dials failed"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-unreachable-'))
    const fed = federation(['GB', 'US'])
    const us = memberPeerId(fed.roster.list().find(m => m.id === 'US')!)
    const [a, b] = [await freePort(), await freePort()]
    const reports: Array<[string, string]> = []
    // US's two addresses, where nothing listens: libp2p tries both and throws an AggregateError.
    const node = await AccordNode.create({ id: 'GB', seed: seedFor('GB'), roster: fed.roster, dbPath: join(dir, 'GB.db'), bootstrap: [`/ip4/127.0.0.1/tcp/${a}/p2p/${us}`, `/ip4/127.0.0.1/tcp/${b}/p2p/${us}`], writeSettleMs: 500, onUnreachable: (target, reason) => { reports.push([target, reason]) } })
    try {
      await node.start()
      await waitFor(() => reports.length > 0, 'the first failed dial to be reported')
      const [target, reason] = reports[0]!
      assert.equal(target, us)
      assert.doesNotMatch(reason, /All multiaddr dials failed/)
      assert.match(reason, new RegExp(`2 addresses tried: .*ECONNREFUSED 127\\.0\\.0\\.1:(${a}|${b}).*; .*ECONNREFUSED 127\\.0\\.0\\.1:(${a}|${b})`))
    } finally {
      await node.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a member whose address answers nothing (a firewall dropping packets) is reported with the address that timed out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-timeout-'))
    const fed = federation(['GB', 'US'])
    const us = memberPeerId(fed.roster.list().find(m => m.id === 'US')!)
    // Takes the TCP connection and never says a byte: every dial runs into its 5 s limit.
    const held: Socket[] = []
    const mute = createTcpServer(s => { held.push(s); s.on('error', () => undefined) })
    await new Promise<void>(resolve => mute.listen(0, '127.0.0.1', resolve))
    const port = (mute.address() as { port: number }).port
    const reports: Array<[string, string]> = []
    const node = await AccordNode.create({ id: 'GB', seed: seedFor('GB'), roster: fed.roster, dbPath: join(dir, 'GB.db'), bootstrap: [`/ip4/127.0.0.1/tcp/${port}/p2p/${us}`], writeSettleMs: 500, onUnreachable: (target, reason) => { reports.push([target, reason]) } })
    try {
      await node.start()
      await waitFor(() => reports.length > 0, 'the third timed-out dial to be reported', 60_000)
      const [target, reason] = reports[0]!
      assert.equal(target, us)
      assert.match(reason, new RegExp(`^no answer within 5 s from /ip4/127\\.0\\.0\\.1/tcp/${port}\\b.*TimeoutError`))
    } finally {
      await node.stop()
      for (const s of held) s.destroy()
      mute.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a member that starts listening a moment after this node first dials it is not reported as unreachable (a federation starting together)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-late-'))
    const fed = federation(['GB', 'US'])
    const port = await freePort()
    const us = memberPeerId(fed.roster.list().find(m => m.id === 'US')!)
    const reports: string[] = []
    const gb = await AccordNode.create({ id: 'GB', seed: seedFor('GB'), roster: fed.roster, dbPath: join(dir, 'GB.db'), bootstrap: [`/ip4/127.0.0.1/tcp/${port}/p2p/${us}`], writeSettleMs: 500, onUnreachable: (target, reason) => { reports.push(`${target}: ${reason}`) } })
    let late: AccordNode | undefined
    try {
      await gb.start()
      // GB's first dial has failed (nothing listens yet); then US starts.
      await waitFor(() => gb.network.dialer.failuresWith(us) >= 1, 'GB\'s first dial to fail')
      late = await AccordNode.create({ id: 'US', seed: seedFor('US'), roster: fed.roster, dbPath: join(dir, 'US.db'), listen: [`/ip4/127.0.0.1/tcp/${port}`], writeSettleMs: 500 })
      await late.start()
      await waitFor(() => gb.network.connectedMembers().includes('US'), 'GB to link with US on a later attempt')
      assert.deepEqual(reports, [])
    } finally {
      await late?.stop()
      await gb.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
