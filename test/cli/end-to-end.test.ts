import { strict as assert } from 'node:assert'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { accord, startNode } from './run-cli.ts'
import { freePort } from '../ports.ts'
import { waitFor } from '../fixtures.ts'
import { DEFAULT_SETTINGS } from '../../src/records/index.ts'

describe('cli: end to end through the real accord command', function () {
  this.timeout(180_000)
  let dir: string
  const nodes: Array<Awaited<ReturnType<typeof startNode>>> = []
  before(() => { dir = mkdtempSync(join(tmpdir(), 'accord-e2e-')) })
  after(async () => {
    for (const n of nodes) await n.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('init 3 members → charter create/sign/verify → 3 nodes → an incident reported on one is seen on the others, and all agree', async () => {
    const ids = ['GB', 'US', 'JP']
    const cards: string[] = []
    for (const id of ids) {
      const r = await accord(['init', '--id', id, '--name', `${id} institute`, '--data', join(dir, id), '--json'])
      assert.equal(r.code, 0, r.stderr)
      const card = JSON.parse(r.stdout) as { id: string, publicKey: string, peerId: string }
      assert.equal(card.id, id)
      assert.match(card.peerId, /^12D3KooW/)
      assert.equal(statSync(join(dir, id, 'member.key')).mode & 0o777, 0o600)
      writeFileSync(join(dir, `${id}.card.json`), r.stdout)
      cards.push('--card', join(dir, `${id}.card.json`))
    }
    const charter = join(dir, 'charter.json')
    assert.equal((await accord(['charter', 'create', ...cards, '--out', charter, '--federation', 'Test federation'])).code, 0)
    const unsigned = await accord(['charter', 'verify', charter])
    assert.notEqual(unsigned.code, 0)
    assert.match(unsigned.stderr, /not yet signed by GB, JP, US|INCOMPLETE/)
    for (const id of ids) assert.equal((await accord(['charter', 'sign', charter, '--data', join(dir, id)])).code, 0)
    const verified = await accord(['charter', 'verify', charter])
    assert.equal(verified.code, 0, verified.stderr)
    assert.match(verified.stdout, /valid/)

    const p2p = await Promise.all(ids.map(async () => await freePort()))
    const api = await Promise.all(ids.map(async () => await freePort()))
    for (const [i, id] of ids.entries()) {
      const args = ['--id', id, '--data', join(dir, id), '--charter', charter, '--listen', `/ip4/127.0.0.1/tcp/${p2p[i]}`, '--api-port', String(api[i]), '--log-level', 'warn']
      if (i > 0) args.push('--bootstrap', `/ip4/127.0.0.1/tcp/${p2p[0]}`)
      nodes.push(await startNode(args))
    }
    const node = (i: number): string[] => ['--node', `http://127.0.0.1:${api[i]}`, '--data', join(dir, ids[i] as string)]
    const report = await accord(['incident', 'report', ...node(0), '--id', 'gb-2026-0001', '--model', 'gb-frontier-1', '--severity', 'critical', '--harm', 'autonomy', '--harm', 'cyber', '--title', 'Weights copied to an unknown host', '--description', 'Egress detected during an agentic evaluation', '--occurred', '2026-11-20T10:00:00Z'])
    assert.equal(report.code, 0, report.stderr)
    assert.match(report.stdout, /accepted incident.report as GB #1/)
    // No --jurisdiction: the node's own member (the only one it may register in).
    const registered = await accord(['model', 'register', ...node(0), '--id', 'gb-small-1', '--name', 'Small One', '--developer', 'Example Labs', '--compute', '1e23', '--params', '7000000000', '--json'])
    assert.equal(registered.code, 0, registered.stderr)
    const gbToken = readFileSync(join(dir, 'GB', 'api-token'), 'utf8').trim()
    const model = await (await fetch(`http://127.0.0.1:${api[0]}/v1/models/gb-small-1`, { headers: { authorization: `Bearer ${gbToken}` } })).json() as { jurisdiction: string }
    assert.equal(model.jurisdiction, 'GB')

    for (const i of [1, 2]) {
      const token = readFileSync(join(dir, ids[i] as string, 'api-token'), 'utf8').trim()
      await waitFor(async () => {
        const res = await fetch(`http://127.0.0.1:${api[i]}/v1/incidents`, { headers: { authorization: `Bearer ${token}` } })
        const body = await res.json() as { items: Array<{ incidentId: string, origin: string, severity: string }> }
        return body.items.some(x => x.incidentId === 'gb-2026-0001' && x.origin === 'GB' && x.severity === 'critical')
      }, `${ids[i]} to show the incident`)
    }
    await waitFor(async () => {
      const view = await accord(['view', ...node(1)])
      return view.code === 0 && /all connected members agree/.test(view.stdout) && (view.stdout.match(/ agrees/g) ?? []).length === 2
    }, 'accord view to show that all agree')
    const json = JSON.parse((await accord(['view', ...node(2), '--json'])).stdout) as { peers: Array<{ agrees?: boolean }> }
    assert.ok(json.peers.every(p => p.agrees === true))
    const check = await accord(['view', ...node(1), '--check'])
    assert.equal(check.code, 0, check.stderr)
    // A proposal that could never apply is stopped before it is signed.
    const pointless = await accord(['member', 'propose', ...node(1), '--id', `${ids[1]!.toLowerCase()}-remove-zz`, '--remove', 'ZZ', '--reason', 'typo'])
    assert.equal(pointless.code, 1)
    assert.match(pointless.stderr, /ZZ is not a member now \(epoch 0\): nothing to remove/)
  })

  it('a tampered charter stops the node with a reason', async () => {
    const charter = JSON.parse(readFileSync(join(dir, 'charter.json'), 'utf8')) as { settings: { redlineQuorum: number } }
    charter.settings.redlineQuorum = 1
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(charter))
    const r = await accord(['node', '--id', 'GB', '--data', join(dir, 'GB-copy'), '--charter', join(dir, 'tampered.json'), '--api-port', '0'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /accord: .*(no member key|tampered)/)
    const copy = await accord(['init', '--id', 'GB', '--name', 'GB', '--data', join(dir, 'GB-copy')])
    assert.equal(copy.code, 0)
    const again = await accord(['node', '--id', 'GB', '--data', join(dir, 'GB-copy'), '--charter', join(dir, 'tampered.json'), '--api-port', '0'])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /tampered or mis-signed/)
    const wrongKey = await accord(['node', '--id', 'GB', '--data', join(dir, 'GB-copy'), '--charter', join(dir, 'charter.json'), '--api-port', '0'])
    assert.equal(wrongKey.code, 1)
    assert.match(wrongKey.stderr, /lists another key for GB/)
  })

  it('config errors name the file and the field', async () => {
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, JSON.stringify({ id: 'GB', data: join(dir, 'GB'), charter: join(dir, 'charter.json'), apiPort: 'eighty' }))
    const r = await accord(['node', '--config', bad])
    assert.equal(r.code, 1)
    assert.ok(r.stderr.includes(`${bad}: apiPort must be integer`), r.stderr)
    const flag = await accord(['node', '--config', bad, '--api-port', '4000', '--log-level', 'loud'])
    assert.match(flag.stderr, /logLevel/)
    const unknown = join(dir, 'unknown.json')
    writeFileSync(unknown, JSON.stringify({ id: 'GB', data: 'x', charter: 'y', colour: 'blue' }))
    assert.match((await accord(['node', '--config', unknown])).stderr, /colour is not an allowed field/)
  })

  it('usage mistakes and taken ports are one clear `accord:` line each, exit 1, and nothing starts', async () => {
    const missing = await accord(['incident', 'report', '--id', 'i-1', '--model', 'm'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^accord: required option '--severity <level>' not specified \(run with --help for usage\)\n$/)
    const typo = await accord(['incidnet'])
    assert.equal(typo.code, 1)
    assert.match(typo.stderr, /^accord: unknown command 'incidnet' \(Did you mean incident\?\) \(run with --help for usage\)\n$/)
    const help = await accord(['model', 'register', '--help'])
    assert.match(help.stdout, /--params <n> +parameter count \(required\)/)
    assert.doesNotMatch(help.stdout, /--jurisdiction <ID>.*\(required\)/, 'the jurisdiction defaults to the node\'s own')
    const version = await accord(['--version'])
    assert.equal(version.code, 0)
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/)
    // A port another program holds: first the P2P one, then the API one.
    const { createServer } = await import('node:net')
    const holder = createServer()
    const taken = await freePort()
    await new Promise<void>(resolve => holder.listen(taken, '127.0.0.1', resolve))
    try {
      // A one-member federation of its own: the others' data directories are in use by their nodes.
      const solo = join(dir, 'solo')
      const card = await accord(['init', '--id', 'KE', '--name', 'KE institute', '--data', join(solo, 'KE'), '--json'])
      writeFileSync(join(dir, 'KE.card.json'), card.stdout)
      assert.equal((await accord(['charter', 'create', '--card', join(dir, 'KE.card.json'), '--out', join(solo, 'charter.json')])).code, 0)
      assert.equal((await accord(['charter', 'sign', join(solo, 'charter.json'), '--data', join(solo, 'KE')])).code, 0)
      // The card again, from the key (init refuses to run twice), and settings given in part.
      const again = await accord(['card', '--data', join(solo, 'KE'), '--json'])
      assert.deepEqual(JSON.parse(again.stdout), JSON.parse(card.stdout))
      writeFileSync(join(solo, 'settings.json'), '{"redlineQuorum": 2}')
      assert.equal((await accord(['charter', 'create', '--card', join(dir, 'KE.card.json'), '--out', join(solo, 'charter2.json'), '--settings', join(solo, 'settings.json')])).code, 0)
      const settings = (JSON.parse(readFileSync(join(solo, 'charter2.json'), 'utf8')) as { settings: Record<string, unknown> }).settings
      assert.equal(settings.redlineQuorum, 2)
      assert.equal(settings.membershipQuorum, DEFAULT_SETTINGS.membershipQuorum, 'the rest are the defaults')
      const base = ['node', '--id', 'KE', '--data', join(solo, 'KE'), '--charter', join(solo, 'charter.json'), '--log-level', 'silent']
      const p2p = await accord([...base, '--listen', `/ip4/127.0.0.1/tcp/${taken}`, '--api-port', '0'])
      assert.equal(p2p.code, 1)
      assert.equal(p2p.stderr, `accord: P2P listen address /ip4/127.0.0.1/tcp/${taken} is in use (another node or program is listening there)\n`)
      const api = await accord([...base, '--api-port', String(taken)])
      assert.equal(api.code, 1)
      assert.equal(api.stderr, `accord: API address 127.0.0.1:${taken} is in use (another node or program is listening there)\n`)
    } finally {
      holder.close()
    }
  })
})
