import { strict as assert } from 'node:assert'
import { cluster, converged, type Cluster } from './cluster.ts'
import { modelBody, seedFor, waitFor } from '../fixtures.ts'
import { DEFAULT_SETTINGS, membership, redlines, SigningKey } from '../../src/records/index.ts'
import { memberPeerId } from '../../src/net/index.ts'
import type { AccordNode } from '../../src/node/accord-node.ts'

const statusOf = (node: AccordNode) => redlines(node.ledger.state, Date.now())[0]

/** A ring of five founders, converged; `m` finds a running node, `ok` submits and insists it was accepted. */
async function fiveInARing (): Promise<{ c: Cluster, m: (id: string) => AccordNode, ok: (id: string, kind: string, body: object) => Promise<void> }> {
  const c = await cluster(['GB', 'US', 'JP', 'FR', 'KE'], [['GB', 'US'], ['US', 'JP'], ['JP', 'FR'], ['FR', 'KE'], ['KE', 'GB']])
  const m = (id: string): AccordNode => c.nodes.get(id)!
  const ok = async (id: string, kind: string, body: object): Promise<void> => { const a = await m(id).submit(kind, body); assert.equal(a.verdict, 'accept', `${id} ${kind}: ${a.code} ${a.message}`) }
  await converged([...c.nodes.values()])
  return { c, m, ok }
}

describe('net: red lines and membership across real nodes', function () {
  this.timeout(120_000)
  let c: Cluster | undefined
  afterEach(async () => { await c?.stop(); c = undefined })

  it('6 nodes: a confirmed red line mandates the model and its two derivatives everywhere; attested shutdowns and one overdue show on every node', async () => {
    const ids = ['GB', 'US', 'JP', 'FR', 'KE', 'SG']
    // A two-second deadline stands in for 24 hours, so "overdue" is reached in the test.
    const settings = { ...DEFAULT_SETTINGS, shutdownDeadlineHours: 2 / 3600 }
    c = await cluster(ids, [['GB', 'US'], ['US', 'JP'], ['JP', 'FR'], ['FR', 'KE'], ['KE', 'SG'], ['SG', 'GB']], { settings })
    const n = (id: string): AccordNode => c!.nodes.get(id)!
    const all = [...c.nodes.values()]
    const ok = async (id: string, kind: string, body: object): Promise<void> => { const a = await n(id).submit(kind, body); assert.equal(a.verdict, 'accept', `${id} ${kind}: ${a.code} ${a.message}`) }
    await ok('GB', 'model.register', modelBody('GB', 'gb-base'))
    await converged(all)
    await ok('US', 'model.register', modelBody('US', 'us-copy', { parent: { modelId: 'gb-base', relation: 'copy' } }))
    await ok('JP', 'model.register', modelBody('JP', 'jp-ft', { parent: { modelId: 'gb-base', relation: 'fine-tune' } }))
    await ok('FR', 'redline.declare', { declarationId: 'fr-rl-1', modelId: 'gb-base', redline: 'self-exfiltration', evidence: 'weights found on an external host' })
    await converged(all)
    assert.ok(all.every(x => statusOf(x)?.confirmed === false), 'one declaration alone confirms nothing')
    await ok('KE', 'redline.confirm', { declarationId: 'fr-rl-1' })
    await ok('SG', 'redline.confirm', { declarationId: 'fr-rl-1' })
    await converged(all)
    for (const x of all) {
      const s = statusOf(x)
      assert.equal(s?.confirmed, true, `${x.id} sees the crossing confirmed`)
      assert.deepEqual(s?.mandates.map(m => m.jurisdiction).sort(), ['GB', 'JP', 'US'], `${x.id} sees three mandates`)
    }
    await ok('GB', 'redline.shutdown', { modelId: 'gb-base', declarationId: 'fr-rl-1', shutdownAt: Date.now(), verification: 'weights destroyed' })
    await ok('US', 'redline.shutdown', { modelId: 'us-copy', declarationId: 'fr-rl-1', shutdownAt: Date.now(), verification: 'endpoints removed' })
    const wrong = await n('FR').submit('redline.shutdown', { modelId: 'jp-ft', shutdownAt: Date.now(), verification: 'not ours' })
    assert.equal(wrong.code, 'not-owner')
    const digest = await converged(all)
    const deadline = statusOf(n('GB'))?.deadline as number
    await waitFor(() => Date.now() > deadline, 'the shutdown deadline to pass', 10_000)
    for (const x of all) {
      assert.equal(x.digest(), digest)
      assert.deepEqual(statusOf(x)?.mandates.map(m => [m.modelId, m.status]), [['gb-base', 'shut-down'], ['jp-ft', 'overdue'], ['us-copy', 'shut-down']], `${x.id}'s view`)
    }
  })

  it('a new institute is admitted by vote while one member is offline; the member returns, catches up, accepts its records and its connection', async () => {
    // BR is not in the charter: it has a key (seedFor('BR')) but the roster lists only the five.
    const ring = await fiveInARing()
    const { m, ok } = ring
    const c2 = c = ring.c
    const jp = m('JP')
    await jp.stop(); c2.nodes.delete('JP')
    const br = new SigningKey(seedFor('BR'))
    const card = { id: 'BR', name: 'Brazil AI Safety Institute', publicKey: br.publicKeyB64, peerId: memberPeerId({ publicKey: br.publicKeyB64 }) }
    await ok('GB', 'member.propose', { proposalId: 'gb-admit-br', action: 'admit', member: 'BR', card, basis: 0, reason: 'Brazil joins' })
    for (const v of ['US', 'FR', 'KE']) await ok(v, 'member.vote', { proposalId: 'gb-admit-br', approve: true })
    const live = [...c2.nodes.values()]
    await converged(live)
    assert.ok(live.every(x => x.ledger.roster.current('BR')), 'every live node admitted BR')

    // BR starts from the charter alone and learns of its admission from the federation.
    const brNode = await c2.start('BR', [m('GB').multiaddrs[0]!])
    await waitFor(() => brNode.ledger.roster.current('BR'), 'BR to learn that it was admitted')
    await ok('BR', 'model.register', modelBody('BR', 'br-1'))
    await converged([...c2.nodes.values()])

    // JP comes back: catches up on the vote and BR's records, and lets BR connect.
    const back = await c2.start('JP', [m('US').multiaddrs[0]!])
    await converged([...c2.nodes.values()], 'JP to catch up')
    assert.equal(membership(back.ledger.state).changes[0]?.member, 'BR')
    assert.equal(back.ledger.state.model('br-1')?.origin, 'BR')
    await brNode.network.dial(back.multiaddrs[0]!)
    await waitFor(() => back.network.connectedMembers().includes('BR'), 'JP to hold a connection with BR')
  })

  it('a removal voted on one side of a partition, while the removed member writes on the other, heals to identical digests: its later record is held and void everywhere', async () => {
    const ids = ['GB', 'US', 'JP', 'FR', 'KE', 'SG']
    const c2 = c = await cluster(ids, [['GB', 'US'], ['US', 'JP'], ['JP', 'FR'], ['FR', 'GB'], ['KE', 'SG'], ['SG', 'GB'], ['KE', 'US']])
    const n = (id: string): AccordNode => c2.nodes.get(id)!
    const ok = async (id: string, kind: string, body: object): Promise<void> => { const a = await n(id).submit(kind, body); assert.equal(a.verdict, 'accept', `${id} ${kind}: ${a.code} ${a.message}`) }
    await ok('KE', 'model.register', modelBody('KE', 'ke-1'))
    await converged([...c2.nodes.values()])
    const kept = n('KE').ledger.tip('KE')!.seq
    // GB, US, JP, FR (four of six: the quorum) on one side; KE and SG on the other.
    const west = ['GB', 'US', 'JP', 'FR'].map(n)
    const east = ['KE', 'SG'].map(n)
    for (const x of west) await x.network.block(east.map(e => e.peerId))
    for (const x of east) await x.network.block(west.map(w => w.peerId))
    await waitFor(() => east.every(e => e.network.connectedMembers().every(id => ['KE', 'SG'].includes(id))), 'the partition to cut every cross link')
    await ok('GB', 'member.propose', { proposalId: 'gb-remove-ke', action: 'remove', member: 'KE', lastValidSeq: kept, basis: 0, reason: 'Left the accord' })
    for (const v of ['US', 'JP', 'FR']) await ok(v, 'member.vote', { proposalId: 'gb-remove-ke', approve: true })
    await converged(west)
    // KE, not knowing, registers another model; SG holds it before it learns of the removal.
    await ok('KE', 'model.register', modelBody('KE', 'ke-2'))
    await converged(east)
    assert.equal(n('SG').ledger.state.model('ke-2')?.origin, 'KE', 'SG counts it while KE is a member to it')
    for (const x of [...west, ...east]) x.network.unblock()
    const rest = [...west, n('SG')]
    const digest = await converged(rest, 'the five remaining members to converge')
    for (const x of rest) {
      assert.equal(x.ledger.roster.get('KE')?.until, kept, `${x.id} applied the removal`)
      assert.equal(x.ledger.tip('KE')?.seq, kept + 1, `${x.id} holds KE's later record`)
      assert.equal(x.ledger.state.model('ke-2'), undefined, `${x.id}: KE's later record is void`)
      assert.equal(x.ledger.state.model('ke-1')?.origin, 'KE', `${x.id} keeps KE's records up to seq ${kept}`)
      assert.deepEqual(x.ledger.state.snapshot(), n('GB').ledger.state.snapshot())
      assert.equal(x.digest(), digest)
    }
  })

  it('a member removed by vote is cut off: every node drops its links, refuses its redials, and its later records never land', async () => {
    const ring = await fiveInARing()
    const { m, ok } = ring
    const c2 = c = ring.c
    const ids = [...c2.nodes.keys()]
    await ok('KE', 'model.register', modelBody('KE', 'ke-1'))
    await converged([...c2.nodes.values()])
    const ke = m('KE')
    const kept = ke.ledger.tip('KE')!.seq
    await ok('GB', 'member.propose', { proposalId: 'gb-remove-ke', action: 'remove', member: 'KE', lastValidSeq: kept, basis: 0, reason: 'Left the accord' })
    for (const v of ['US', 'JP', 'FR']) await ok(v, 'member.vote', { proposalId: 'gb-remove-ke', approve: true })
    const rest = ids.filter(id => id !== 'KE').map(m)
    await waitFor(() => rest.every(n => n.ledger.roster.get('KE')?.until === kept), 'every remaining member to apply the removal')
    await waitFor(() => rest.every(n => !n.network.libp2p.getConnections().some(x => x.remotePeer.toString() === ke.peerId)), 'every member to drop its links with KE')
    // KE's node goes on as if nothing happened: its redials are refused, its new record stays its own.
    const opened: string[] = []
    m('GB').network.libp2p.addEventListener('connection:open', e => { opened.push(e.detail.remotePeer.toString()) })
    await ke.network.dial(m('GB').multiaddrs[0]!).catch(() => undefined)
    await waitFor(() => !ke.network.libp2p.getConnections().some(x => x.remotePeer.toString() === m('GB').peerId && x.status === 'open'), 'KE\'s redial to be refused')
    assert.ok(!opened.includes(ke.peerId), 'GB never opened a connection with KE after the removal')
    // KE's own view says who refuses it, so its operator can tell "removed" from "unreachable".
    await waitFor(async () => (await ke.view()).peers.some(p => p.id === 'GB' && p.refuses === true), 'KE\'s view to show that GB refuses it')
    const late = await ke.submit('model.register', modelBody('KE', 'ke-2'))
    await ok('GB', 'model.register', modelBody('GB', 'gb-after'))
    await converged(rest)
    for (const n of rest) {
      assert.equal(n.ledger.state.model('ke-1')?.origin, 'KE', `${n.id} keeps KE's records up to seq ${kept}`)
      assert.equal(late.id != null && n.ledger.has(late.id), false, `${n.id} never holds KE's later record`)
      assert.ok(!n.network.connectedMembers().includes('KE'))
    }
  })
})
