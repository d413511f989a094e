/**
 * Starting a national node's service in the two situations where its own records are not
 * enough: a member admitted after the charter (it is not in it), and a node restored from an
 * old backup (members hold later records of its own chain than it does).
 */
import assert from 'node:assert/strict'
import { cpSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createKey, loadKey } from '../../src/node/keys.ts'
import { createCharter, signCharter, writeCharter } from '../../src/node/charter.ts'
import { loadConfig } from '../../src/node/config.ts'
import { startNodeService, type RunningNode } from '../../src/node/service.ts'
import { services, call, type Services } from '../api/fixture.ts'
import { waitFor } from '../fixtures.ts'
import { authorRecord } from '../../src/records/index.ts'

const quiet = new Writable({ write (_chunk, _enc, cb) { cb() } })

/** A service log kept in memory, to read what the operator is told. */
function logSink (): { stream: Writable, lines: () => Array<{ msg?: string, level?: number }> } {
  const chunks: string[] = []
  return {
    stream: new Writable({ write (chunk, _enc, cb) { chunks.push(String(chunk)); cb() } }),
    lines: () => chunks.join('').split('\n').filter(l => l !== '').map(l => JSON.parse(l) as { msg?: string, level?: number })
  }
}

const incident = (id: string): object => ({
  kind: 'incident.report',
  body: { incidentId: id, modelIds: ['gb-frontier-1'], severity: 'low', harms: ['cyber'], title: 'A test incident', description: 'Reported by the test.', occurredAt: 1_795_000_000_000, detectedAt: 1_795_000_000_000, status: 'open', tlp: 'GREEN' }
})

describe('node service start', function () {
  this.timeout(60_000)
  let fed: Services | undefined
  const extra: RunningNode[] = []
  afterEach(async () => {
    for (const n of extra.splice(0)) await n.stop().catch(() => undefined)
    await fed?.stop()
    fed = undefined
  })

  it('a member admitted after the charter starts with the charter and a bootstrap member, learns of its admission by sync, then writes', async () => {
    fed = await services(['GB', 'US', 'JP'])
    const [gb, us] = fed.nodes as [RunningNode, RunningNode]
    const card = createKey(join(fed.dir, 'BR'), 'BR', 'Brazil AI Safety Institute')
    const config = (bootstrap: string[]) => loadConfig(undefined, { id: 'BR', data: join(fed!.dir, 'BR'), charter: fed!.charter, apiPort: 0, logLevel: 'info', bootstrap })

    // Not in the charter, and nowhere to learn of an admission from: a clear refusal.
    await assert.rejects(startNodeService(config([]), quiet), /does not list BR; a member admitted later starts with --bootstrap/)

    const proposed = await call(gb, 'POST', '/v1/records', { body: { kind: 'member.propose', body: { proposalId: 'gb-admit-br', action: 'admit', member: 'BR', card, basis: 0, reason: 'Brazil joins' } } })
    assert.equal(proposed.status, 201, JSON.stringify(proposed.json))
    await waitFor(() => us.node.digest() === gb.node.digest(), 'US to hold the proposal')
    const voted = await call(us, 'POST', '/v1/records', { body: { kind: 'member.vote', body: { proposalId: 'gb-admit-br', approve: true } } })
    assert.equal(voted.status, 201, JSON.stringify(voted.json))
    await waitFor(() => gb.node.ledger.roster.current('BR'), 'GB to admit BR')

    const log = logSink()
    const br = await startNodeService(config([gb.node.multiaddrs[0]!]), log.stream)
    extra.push(br)
    assert.ok(log.lines().some(l => /BR is not a member yet/.test(l.msg ?? '')), 'the operator is told BR waits to learn of its admission')
    await waitFor(() => br.node.ledger.roster.current('BR'), 'BR to learn of its admission')
    const wrote = await call(br, 'POST', '/v1/records', { body: incident('br-2026-0001') })
    assert.equal(wrote.status, 201, JSON.stringify(wrote.json))
    await waitFor(() => gb.node.digest() === br.node.digest() && us.node.digest() === br.node.digest(), 'BR\'s record on every member')
  })

  it('a node restored from an old backup gets its own later records back before it writes: no seq reused, no equivocation', async () => {
    fed = await services(['GB', 'US'])
    const gbDir = join(fed.dir, 'GB')
    const backup = join(fed.dir, 'GB-backup')
    const restart = async (): Promise<RunningNode> => {
      const n = await startNodeService(loadConfig(undefined, { id: 'GB', data: gbDir, charter: fed!.charter, apiPort: 0, logLevel: 'silent', bootstrap: [fed!.nodes[1]!.node.multiaddrs[0]!] }), quiet)
      fed!.nodes[0] = n
      return n
    }
    let gb = fed.nodes[0]!
    const us = fed.nodes[1]!
    assert.equal((await call(gb, 'POST', '/v1/records', { body: incident('gb-0001') })).json.seq, 1)
    await gb.stop()
    cpSync(gbDir, backup, { recursive: true })

    gb = await restart()
    for (const [i, seq] of [['gb-0002', 2], ['gb-0003', 3]] as const) assert.equal((await call(gb, 'POST', '/v1/records', { body: incident(i) })).json.seq, seq)
    await waitFor(() => us.node.ledger.vector().GB?.seq === 3, 'US to hold GB\'s seq 3')
    await gb.stop()

    // The operator puts the old backup back and writes the moment the API answers.
    rmSync(gbDir, { recursive: true, force: true })
    cpSync(backup, gbDir, { recursive: true })
    gb = await restart()
    assert.equal(gb.node.ledger.vector().GB?.seq, 1, 'the backup holds seq 1 only')
    const wrote = await call(gb, 'POST', '/v1/records', { body: incident('gb-0004') })
    assert.equal(wrote.status, 201, JSON.stringify(wrote.json))
    assert.equal(wrote.json.seq, 4, 'the write waited for GB\'s own seq 2 and 3 from US')
    await waitFor(() => us.node.digest() === gb.node.digest(), 'the same view on both')
    for (const n of [gb, us]) {
      assert.equal(n.node.ledger.forkProofs().length, 0, `no equivocation on ${n.node.id}`)
      assert.equal(n.node.ledger.vector().GB?.seq, 4)
    }
  })

  it('an outsider dialling a member: both operators are told the gate refused it, and nothing it signs lands', async () => {
    const gbLog = logSink()
    fed = await services(['GB', 'US'], id => id === 'GB' ? gbLog.stream : quiet)
    const gb = fed.nodes[0]!
    // The outsider has a charter of its own, listing only itself.
    const xxDir = join(fed.dir, 'XX')
    createKey(xxDir, 'XX', 'Not a member')
    const xxKey = loadKey(xxDir)
    const own = join(fed.dir, 'xx-charter.json')
    writeCharter(own, signCharter(createCharter([xxKey.card], 'Elsewhere'), 'XX', xxKey.key))
    const xxLog = logSink()
    const xx = await startNodeService(loadConfig(undefined, { id: 'XX', data: xxDir, charter: own, apiPort: 0, logLevel: 'info', bootstrap: [gb.node.multiaddrs[0]!.replace(/\/p2p\/.*$/, '')] }), xxLog.stream)
    extra.push(xx)
    const said = (sink: ReturnType<typeof logSink>, re: RegExp): boolean => sink.lines().some(l => re.test(l.msg ?? ''))
    await waitFor(() => said(gbLog, new RegExp(`refused a connection with peer ${xx.node.peerId}: it is not a member`)), 'GB\'s operator to be told of the refused outsider')
    await waitFor(() => said(xxLog, new RegExp(`refused a connection with peer ${gb.node.peerId}|cannot reach bootstrap member /ip4/127\\.0\\.0\\.1/tcp/`)), 'the outsider\'s operator to be told why it has no peers')
    const wrote = await call(xx, 'POST', '/v1/records', { body: incident('xx-0001') })
    assert.equal(wrote.status, 201, 'its own node takes it (a federation of one)')
    assert.equal(gb.node.network.connectedMembers().length, 1, 'GB holds its link to US only')
    assert.equal(xx.node.network.connectedMembers().length, 0)
    assert.equal(gb.node.ledger.has(wrote.json.id), false)
  })

  it('a node back after a busy day catches up by itself, and its log says how the catch-up goes', async () => {
    fed = await services(['GB', 'US'])
    const gb = fed.nodes[0]!
    await fed.nodes[1]!.stop()
    // A busy day on GB, written in one transaction (one fsync, not 3,000).
    const key = loadKey(join(fed.dir, 'GB')).key
    const day: Uint8Array[] = []
    let tip = gb.node.ledger.tip('GB')
    for (let i = 0; i < 3_000; i++) {
      const { record, bytes } = authorRecord(key, 'GB', tip, 'incident.report', (incident(`gb-${i}`) as { body: object }).body)
      day.push(bytes)
      tip = { seq: record.seq, head: record.id }
    }
    assert.ok(gb.node.ledger.admitMany(day, true).every(a => a.verdict === 'accept'))
    const log = logSink()
    const us = await startNodeService(loadConfig(undefined, { id: 'US', data: join(fed.dir, 'US'), charter: fed.charter, apiPort: 0, logLevel: 'info', bootstrap: [gb.node.multiaddrs[0]!] }), log.stream)
    fed.nodes[1] = us
    await waitFor(() => us.node.digest() === gb.node.digest(), 'US to catch up')
    await waitFor(() => log.lines().some(l => /^catching up: \d+ records fetched by sync in the last 5 s, \d+ held$/.test(l.msg ?? '')), 'a progress line', 12_000)
  })

  it('a member removed while its node was away is told, when it starts, that the members close its links', async () => {
    fed = await services(['GB', 'US', 'JP'])
    const [gb, us, jp] = fed.nodes as [RunningNode, RunningNode, RunningNode]
    const jpDir = join(fed.dir, 'JP')
    await jp.stop()
    const proposed = await call(gb, 'POST', '/v1/records', { body: { kind: 'member.propose', body: { proposalId: 'gb-remove-jp', action: 'remove', member: 'JP', lastValidSeq: 0, basis: 0, reason: 'key lost' } } })
    assert.equal(proposed.status, 201, JSON.stringify(proposed.json))
    await waitFor(() => us.node.digest() === gb.node.digest(), 'US to hold the proposal')
    assert.equal((await call(us, 'POST', '/v1/records', { body: { kind: 'member.vote', body: { proposalId: 'gb-remove-jp', approve: true } } })).status, 201)
    await waitFor(() => gb.node.ledger.roster.get('JP')?.until != null && us.node.ledger.roster.get('JP')?.until != null, 'GB and US to remove JP')

    const log = logSink()
    const back = await startNodeService(loadConfig(undefined, { id: 'JP', data: jpDir, charter: fed.charter, apiPort: 0, logLevel: 'info', bootstrap: [gb.node.multiaddrs[0]!, us.node.multiaddrs[0]!] }), log.stream)
    fed.nodes[2] = back
    // Its writes open after the settle time (15 s) with no member reached, and the log says why.
    await waitFor(() => log.lines().some(l => /no member reached/.test(l.msg ?? '')), 'the settle time to pass', 30_000)
    const line = log.lines().find(l => /no member reached/.test(l.msg ?? ''))?.msg ?? ''
    assert.match(line, /GB, US close this node's links at once \(their gates may not count it as a member: removed while it was away\?\), so what it writes may reach no one/)
  })
})
