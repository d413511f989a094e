import { strict as assert } from 'node:assert'
import { Ledger } from '../../src/store/ledger.ts'
import { Network } from '../../src/net/network.ts'
import { NET_DEFAULTS, RECORDS_TOPIC } from '../../src/net/options.ts'
import { exchangePeersWhenStarved } from '../../src/net/peer-exchange.ts'
import { federation, seedFor, waitFor } from '../fixtures.ts'

const { Dlo, Dhi } = NET_DEFAULTS.mesh

describe('net: a node the mesh has no room for finds room through peer exchange', function () {
  this.timeout(60_000)

  it('a node that dialed only full neighbours joins the mesh through a peer they offer', async () => {
    // Two hubs, each with a full mesh (Dhi peers, all of which dialed it), then a newcomer that
    // dials only the two hubs: both refuse its GRAFT (it dialed them, they are at Dhi). Nobody
    // tops up its links from addresses learnt by sync (minPeers 2), so the links are exactly these.
    const spokes = Array.from({ length: Dhi }, (_, i) => `S${i}`)
    const fed = federation(['H1', 'H2', ...spokes, 'NEW'])
    const ledgers = new Map(fed.ids.map(id => [id, new Ledger({ path: ':memory:', roster: fed.roster })]))
    const nets: Network[] = []
    const start = async (id: string, bootstrap: string[]): Promise<Network> => {
      const net = await Network.create({ ledger: ledgers.get(id) as Ledger, seed: seedFor(id), bootstrap, syncEveryMs: 3_600_000, minPeers: 2 })
      nets.push(net)
      await net.start()
      return net
    }
    try {
      const hubs = [await start('H1', []), await start('H2', [])]
      const hubAddrs = hubs.map(h => h.multiaddrs[0] as string)
      for (const id of spokes) await start(id, hubAddrs)
      await waitFor(() => hubs.every(h => h.gossip.meshPeers().length === Dhi), `both hubs' meshes full (${Dhi} spokes each)`)

      const newcomer = await start('NEW', hubAddrs)
      const me = newcomer.libp2p.peerId.toString()
      // A GRAFT puts the peer in the sender's mesh at once, until its PRUNE comes back: count only
      // links both ends hold in their mesh.
      const mutual = (): string[] => nets.filter(n => n !== newcomer && n.gossip.meshPeers().includes(me) && newcomer.gossip.meshPeers().includes(n.libp2p.peerId.toString())).map(n => n.libp2p.peerId.toString())
      await waitFor(() => mutual().length > 0, 'the newcomer and some peer to hold each other in their meshes', 20_000)
      const spokePeers = new Set(nets.slice(2, 2 + spokes.length).map(n => n.libp2p.peerId.toString()))
      assert.ok(mutual().every(p => spokePeers.has(p)), 'its mesh peers are spokes, met through peer exchange')
      // Bounded: its two hubs plus at most pxDialsPerPrune peers per refusal (two refusals).
      const links = new Set(newcomer.libp2p.getConnections().map(c => c.remotePeer.toString())).size
      assert.ok(links <= 2 + 2 * NET_DEFAULTS.pxDialsPerPrune, `${links} links`)
    } finally {
      for (const net of nets.reverse()) await net.stop()
      for (const ledger of ledgers.values()) ledger.close()
    }
  })
})

describe('net: peer exchange is taken only by a node short of mesh peers', () => {
  const offers = Array.from({ length: 6 }, (_, i) => ({ peerID: new Uint8Array([i]) }))

  function fakeGossipsub (meshSize: number): { calls: unknown[][], pxConnect: (peers: unknown[]) => Promise<void>, mesh: Map<string, Set<string>> } {
    const calls: unknown[][] = []
    return {
      calls,
      mesh: new Map([[RECORDS_TOPIC, new Set(Array.from({ length: meshSize }, (_, i) => `p${i}`))]]),
      pxConnect: async (peers: unknown[]) => { calls.push(peers) }
    }
  }

  it('a node with Dlo or more mesh peers dials none of the offered peers', async () => {
    const gs = fakeGossipsub(Dlo)
    assert.equal(exchangePeersWhenStarved(gs), true)
    await gs.pxConnect(offers)
    assert.deepEqual(gs.calls, [])
  })

  it('a node short of mesh peers dials at most pxDialsPerPrune of them, drawn from the offer', async () => {
    const gs = fakeGossipsub(Dlo - 1)
    exchangePeersWhenStarved(gs)
    await gs.pxConnect(offers)
    assert.equal(gs.calls.length, 1)
    const dialed = gs.calls[0] as typeof offers
    assert.equal(dialed.length, NET_DEFAULTS.pxDialsPerPrune)
    for (const p of dialed) assert.ok(offers.includes(p))
  })

  it('a dial that fails (refused by the gate, timed out) does not fail the PRUNE being handled', async () => {
    const gs = fakeGossipsub(0)
    gs.pxConnect = async () => { throw new Error('gater refused') }
    exchangePeersWhenStarved(gs)
    await gs.pxConnect(offers)
  })

  it('leaves a gossipsub of another shape alone', () => {
    assert.equal(exchangePeersWhenStarved({ mesh: new Map() }), false)
  })
})
