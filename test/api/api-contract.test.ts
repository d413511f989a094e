import { strict as assert } from 'node:assert'
import { services, call, type Services } from './fixture.ts'
import { incidentBody, modelBody, waitFor } from '../fixtures.ts'
import { accord } from '../cli/run-cli.ts'

describe('api: the HTTP contract', function () {
  this.timeout(60_000)
  let s: Services
  before(async () => { s = await services(['GB', 'US']) })
  after(async () => { await s.stop() })
  const gb = () => s.nodes[0]!
  const us = () => s.nodes[1]!

  it('health needs no token; every other route answers 401 without or with a wrong token, doing nothing', async () => {
    const health = await call(gb(), 'GET', '/v1/health', { token: null })
    assert.equal(health.status, 200); assert.equal(health.json.id, 'GB')
    for (const [method, path] of [['GET', '/v1/view'], ['GET', '/v1/records'], ['GET', '/v1/models'], ['GET', '/v1/incidents'], ['GET', '/v1/kinds'], ['GET', '/v1/events'], ['GET', '/metrics'], ['POST', '/v1/records']] as const) {
      const none = await call(gb(), method, path, { token: null, ...(method === 'POST' ? { body: { kind: 'model.register', body: modelBody('GB', 'gb-x') } } : {}) })
      assert.equal(none.status, 401, `${method} ${path} without token`)
      assert.equal(none.json.error.code, 'unauthorized')
      const wrong = await call(gb(), method, path, { token: 'not-the-token', ...(method === 'POST' ? { body: { kind: 'model.register', body: modelBody('GB', 'gb-x') } } : {}) })
      assert.equal(wrong.status, 401, `${method} ${path} with a wrong token`)
    }
    assert.equal(gb().node.ledger.size, 0, 'nothing was written')
    const page = await fetch(`${gb().apiUrl}/dashboard`)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /<title>Accord node<\/title>/, 'the dashboard page itself is public; its data needs the token')
  })

  it('POST /v1/records signs, stores and publishes; bad input is a clear 4xx with code and field, never a 500, never a half-written record', async () => {
    const ok = await call(gb(), 'POST', '/v1/records', { body: { kind: 'model.register', body: modelBody('GB', 'gb-1') } })
    assert.equal(ok.status, 201); assert.equal(ok.json.origin, 'GB'); assert.equal(ok.json.seq, 1); assert.match(ok.json.id, /^[0-9a-f]{64}$/)
    const cases: Array<[string, { body?: unknown, raw?: string, headers?: Record<string, string> }, number, string, string?]> = [
      ['malformed JSON', { raw: '{"kind": "model.register", ' }, 400, 'malformed-json'],
      ['empty body', { raw: '' }, 400, 'malformed-json'],
      ['not an object', { body: [1, 2] }, 400, 'malformed'],
      ['unknown kind', { body: { kind: 'model.teleport', body: {} } }, 400, 'unknown-kind', 'kind'],
      ['kind not a string', { body: { kind: 7, body: {} } }, 400, 'malformed', 'kind'],
      ['body not an object', { body: { kind: 'model.register', body: 'x' } }, 400, 'malformed', 'body'],
      ['extra field', { body: { kind: 'model.register', body: modelBody('GB', 'gb-2'), sig: 'x' } }, 400, 'malformed', 'sig'],
      ['wrong type', { body: { kind: 'model.register', body: { ...modelBody('GB', 'gb-2'), parameters: 'many' } } }, 400, 'schema', 'body.parameters'],
      ['missing field', { body: { kind: 'incident.report', body: { incidentId: 'i-1' } } }, 400, 'schema'],
      ['another member\'s model', { body: { kind: 'model.update', body: { modelId: 'us-nope', stage: 'deployed' } } }, 400, 'not-owner', 'body.modelId'],
      ['wrong jurisdiction', { body: { kind: 'model.register', body: modelBody('US', 'gb-3') } }, 400, 'not-owner', 'body.jurisdiction'],
      ['too large', { body: { kind: 'incident.report', body: incidentBody('i-big', ['m'], { description: 'x'.repeat(300_000) }) } }, 413, 'too-large'],
      ['record over 64 KiB', { body: { kind: 'model.register', body: modelBody('GB', 'gb-big', { evaluations: Array.from({ length: 40 }, (_, i) => ({ name: `eval-${i}`, result: 'r'.repeat(1900) })) }) } }, 400, 'oversized', 'body'],
      ['wrong content type', { raw: 'kind=model.register', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported-media-type'],
      ['JSON sent as text/plain', { raw: JSON.stringify({ kind: 'model.register', body: modelBody('GB', 'gb-4') }), headers: { 'content-type': 'text/plain' } }, 415, 'unsupported-media-type'],
      ['a value outside a fixed list', { body: { kind: 'incident.report', body: incidentBody('i-2', ['gb-1'], { severity: 'huge' }) } }, 400, 'schema', 'body.severity']
    ]
    for (const [what, opts, status, code, field] of cases) {
      const res = await call(gb(), 'POST', '/v1/records', opts)
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.json)}`)
      assert.equal(res.json.error.code, code, what)
      assert.equal(typeof res.json.error.message, 'string')
      if (field != null) assert.equal(res.json.error.field, field, what)
    }
    // Valid JSON that canonical JSON cannot carry, and keys the parser refuses: each named.
    const named: Array<[string, string, string, RegExp, string?]> = [
      ['a number beyond float range', JSON.stringify({ kind: 'model.register', body: modelBody('GB', 'gb-5') }).replace('"trainingComputeFlop":1e+24', '"trainingComputeFlop":1e400'), 'schema', /body\.trainingComputeFlop must be a finite number/, 'body.trainingComputeFlop'],
      ['a lone surrogate', JSON.stringify({ kind: 'incident.report', body: incidentBody('i-3', ['gb-1']) }).replace('"Details."', '"Details \\ud800"'), 'schema', /body\.description contains a lone UTF-16 surrogate/, 'body.description'],
      ['a __proto__ key', '{"kind":"model.register","__proto__":{"x":1},"body":{}}', 'malformed-json', /has a "__proto__" key, which is not allowed/],
      ['malformed JSON, with where', '{"kind": "model.register", ', 'malformed-json', /not valid JSON: .+/]
    ]
    for (const [what, raw, code, message, field] of named) {
      const res = await call(gb(), 'POST', '/v1/records', { raw })
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.json)}`)
      assert.equal(res.json.error.code, code, what)
      assert.match(res.json.error.message, message, what)
      if (field != null) assert.equal(res.json.error.field, field, what)
    }
    assert.equal(gb().node.ledger.size, 1, 'only the good record was written')
    const next = await call(gb(), 'POST', '/v1/records', { body: { kind: 'model.update', body: { modelId: 'gb-1', stage: 'deployed' } } })
    assert.equal(next.json.seq, 2, 'no seq was used by the refused requests')
    const missing = await call(gb(), 'GET', '/v1/models/nope')
    assert.equal(missing.status, 404); assert.equal(missing.json.error.code, 'not-found')
    const badQuery = await call(gb(), 'GET', '/v1/records?limit=0')
    assert.equal(badQuery.status, 400); assert.equal(badQuery.json.error.field, 'limit')
    const fixedList = await call(gb(), 'POST', '/v1/records', { body: { kind: 'incident.report', body: incidentBody('i-3', ['gb-1'], { severity: 'huge' }) } })
    assert.match(fixedList.json.error.message, /body\.severity must be one of "low", "moderate", "serious", "critical"/, 'a fixed list names its values')
    const misspelt = await call(gb(), 'GET', '/v1/records?kind=incident.reprot')
    assert.equal(misspelt.status, 400); assert.equal(misspelt.json.error.field, 'kind')
    assert.match(misspelt.json.error.message, /unknown kind incident\.reprot; kinds: .*incident\.report/)
    // Filters on fixed lists and members say what they may be, rather than answer an empty list.
    for (const [path, field, message] of [
      ['/v1/records?origin=zz', 'origin', /origin "zz" is not a member; members: GB, US/],
      ['/v1/models?stage=retired', 'stage', /stage must be one of "training", "deployed", "decommissioned"/],
      ['/v1/models?jurisdiction=XX', 'jurisdiction', /jurisdiction "XX" is not a member/],
      ['/v1/incidents?severity=huge', 'severity', /severity must be one of "low", "moderate", "serious", "critical"/],
      ['/v1/incidents?origin=gb', 'origin', /origin "gb" is not a member/]
    ] as const) {
      const res = await call(gb(), 'GET', path)
      assert.equal(res.status, 400, path); assert.equal(res.json.error.code, 'bad-query', path); assert.equal(res.json.error.field, field, path)
      assert.match(res.json.error.message, message, path)
    }
    assert.equal((await call(gb(), 'GET', '/v1/records?origin=GB')).status, 200, 'a member\'s own filter still answers')
  })

  it('SSE delivers a record submitted on another node, and resumes with Last-Event-ID', async () => {
    const controller = new AbortController()
    const res = await fetch(`${gb().apiUrl}/v1/events`, { headers: { authorization: `Bearer ${gb().token}` }, signal: controller.signal })
    assert.equal(res.headers.get('content-type')?.startsWith('text/event-stream'), true)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    const posted = await call(us(), 'POST', '/v1/records', { body: { kind: 'incident.report', body: incidentBody('us-sse-1', ['gb-1']) } })
    assert.equal(posted.status, 201)
    while (!text.includes(posted.json.id)) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    controller.abort()
    const block = text.split('\n\n').find(b => b.includes(posted.json.id)) as string
    assert.match(block, /event: record/)
    const [boot, count] = (/id: (\S+)/.exec(block)?.[1] ?? '').split('.')
    const n = Number(count)
    assert.ok(n > 0)
    const resume = async (lastId: string): Promise<string> => {
      const again = new AbortController()
      const res2 = await fetch(`${gb().apiUrl}/v1/events`, { headers: { authorization: `Bearer ${gb().token}`, 'last-event-id': lastId }, signal: again.signal })
      const r2 = (res2.body as ReadableStream<Uint8Array>).getReader()
      let t2 = ''
      while (!t2.includes(posted.json.id)) { const { value, done } = await r2.read(); if (done) break; t2 += new TextDecoder().decode(value) }
      again.abort()
      return t2
    }
    // Resume from just before that event: it is replayed, and nothing before it.
    const t2 = await resume(`${boot}.${n - 1}`)
    assert.ok(t2.includes(`id: ${boot}.${n}\n`))
    assert.ok(!t2.includes(`id: ${boot}.${n - 1}\n`))
    // An id from before a restart (another boot, or a bare number): every event of this run is replayed.
    for (const old of ['0abc.99999', '56']) {
      const t3 = await resume(old)
      assert.match(t3, /: the node restarted since that event/)
      assert.ok(t3.includes(`id: ${boot}.1\n`) && t3.includes(`id: ${boot}.${n}\n`))
    }
    // An id this node never issues claims no restart: it is named as such, and every event of this run follows (nothing is missed).
    for (const garbage of ['garbage', 'abc.def', '1.2.3', `${boot}.${n}.1`, `${boot}.`, `${boot}.-1`]) {
      const t4 = await resume(garbage)
      assert.ok(t4.includes(`\n: Last-Event-ID ${JSON.stringify(garbage)} is not an event id of this node (they are <boot>.<n>, as in this stream's id: lines)`), `${garbage}: ${t4.slice(0, 300)}`)
      assert.doesNotMatch(t4, /restarted/)
      assert.ok(t4.includes(`id: ${boot}.1\n`) && t4.includes(`id: ${boot}.${n}\n`), garbage)
    }
  })

  it('lists are paginated: records by cursor, models and incidents by offset', async () => {
    for (let i = 0; i < 7; i++) await call(us(), 'POST', '/v1/records', { body: { kind: 'model.register', body: modelBody('US', `us-p${i}`) } })
    await waitFor(() => gb().node.ledger.tip('US')?.seq === 8, 'GB to hold US\'s records')
    const seen: string[] = []
    const more: boolean[] = []
    let after: number | undefined
    const usPage = async (): Promise<{ items: Array<{ id: string, origin: string }>, next?: number, more: boolean }> => {
      const page = await call(gb(), 'GET', `/v1/records?origin=US&limit=3${after != null ? `&after=${after}` : ''}`)
      assert.equal(page.status, 200)
      return page.json
    }
    for (;;) {
      const page = await usPage()
      seen.push(...page.items.map(r => r.id))
      for (const r of page.items) assert.equal(r.origin, 'US')
      more.push(page.more)
      // `next` comes with every page that has items, full or not.
      assert.equal(typeof page.next, 'number')
      assert.ok(after == null || page.next! > after)
      after = page.next
      if (!page.more) break
    }
    assert.equal(seen.length, 8); assert.equal(new Set(seen).size, 8)
    assert.deepEqual(more, [true, true, false], 'full pages say more may follow; the last, not full, does not')
    // A follower continues from the last page's `next`: only what came since, none twice, none skipped.
    const followed = after
    const empty = await usPage()
    assert.deepEqual([empty.items, empty.next, empty.more], [[], followed, false], 'an empty page leaves next where it was')
    const fresh: string[] = []
    for (let i = 0; i < 2; i++) fresh.push((await call(us(), 'POST', '/v1/records', { body: { kind: 'incident.report', body: incidentBody(`us-f${i}`, ['us-p0']) } })).json.id)
    await waitFor(() => gb().node.ledger.tip('US')?.seq === 10, 'GB to hold US\'s new records')
    const news = await usPage()
    assert.deepEqual(news.items.map(r => r.id), fresh)
    assert.equal(news.more, false)
    assert.ok(news.next! > followed!)
    after = news.next
    assert.deepEqual((await usPage()).items, [])
    const none = await call(gb(), 'GET', '/v1/records?origin=US&kind=redline.declare')
    assert.deepEqual(none.json, { items: [], more: false }, 'no after given and nothing found: no next')
    // The CLI's hint, pasted after the connection flags, continues the same query (its filters too), and comes only while more may follow.
    const node = ['records', '--node', gb().apiUrl, '--token', gb().token]
    const pages: string[] = []
    let flags = ['--origin', 'US', '--limit', '4']
    for (let i = 0; i < 5; i++) {
      const out = await accord([...node, ...flags])
      assert.equal(out.code, 0, out.stderr)
      pages.push(out.stdout)
      const hint = /… more: (.*)\n$/.exec(out.stdout)?.[1]
      if (hint == null) break
      assert.match(hint, /^--origin US --limit 4 --after \d+$/)
      flags = hint.split(' ')
    }
    assert.deepEqual(pages.map(p => p.split('\n').filter(l => / US +#/.test(l)).length), [4, 4, 2], pages.join('---\n'))
    assert.match(pages[2]!, /us-f1/)
    const p1 = await call(gb(), 'GET', '/v1/models?jurisdiction=US&limit=5')
    assert.equal(p1.json.items.length, 5); assert.equal(p1.json.total, 7); assert.equal(p1.json.next, 5)
    const p2 = await call(gb(), 'GET', '/v1/models?jurisdiction=US&limit=5&offset=5')
    assert.equal(p2.json.items.length, 2); assert.equal(p2.json.next, undefined)
    // Newest first: the last registered comes first (the dashboard shows these).
    const recent = await call(gb(), 'GET', '/v1/models?jurisdiction=US&limit=3&sort=recent')
    assert.deepEqual(recent.json.items.map((m: { modelId: string }) => m.modelId), ['us-p6', 'us-p5', 'us-p4'])
    assert.equal(recent.json.total, 7)
    assert.equal((await call(gb(), 'GET', '/v1/incidents?sort=newest')).json.error.code, 'bad-query')
    const kinds = await call(gb(), 'GET', '/v1/kinds')
    assert.ok(kinds.json.items.some((k: { kind: string, schema: { type: string }, example: object }) => k.kind === 'incident.report' && k.schema.type === 'object' && k.example != null))
  })

  it('GET /v1/models/:id shows lineage, /v1/view shows agreement, /metrics counts', async () => {
    await call(us(), 'POST', '/v1/records', { body: { kind: 'model.register', body: modelBody('US', 'us-ft', { parent: { modelId: 'gb-1', relation: 'fine-tune' } }) } })
    await waitFor(() => gb().node.digest() === us().node.digest(), 'the two nodes to agree')
    const m = await call(gb(), 'GET', '/v1/models/gb-1')
    assert.deepEqual(m.json.lineage.descendants.map((d: { modelId: string }) => d.modelId), ['us-ft'])
    assert.equal(m.json.lineage.descendants[0].jurisdiction, 'US')
    const view = await call(gb(), 'GET', '/v1/view')
    assert.equal(view.json.digest, us().node.digest())
    assert.deepEqual(view.json.peers.map((p: { id: string, connected: boolean, agrees: boolean }) => [p.id, p.connected, p.agrees]), [['US', true, true]])
    const metrics = await call(gb(), 'GET', '/metrics')
    assert.match(metrics.json, /accord_records_accepted_total\{kind="model.register"\} \d+/)
    assert.match(metrics.json, /accord_peers_connected 1/)
    // The process's idle-time collector reports how often it ran.
    assert.match(metrics.json, /accord_idle_gc_collections \d+/)
    assert.match(metrics.json, /libp2p_/)
  })
})

describe('api: a removed member\'s later records', function () {
  this.timeout(60_000)
  let s: Services | undefined
  after(async () => { await s?.stop() })

  it('are listed with void: true and count for nothing', async () => {
    s = await services(['GB', 'US', 'JP'])
    const [gb, us, jp] = s.nodes as [Services['nodes'][0], Services['nodes'][0], Services['nodes'][0]]
    const post = async (node: typeof gb, kind: string, body: object): Promise<void> => {
      const r = await call(node, 'POST', '/v1/records', { body: { kind, body } })
      assert.equal(r.status, 201, JSON.stringify(r.json))
    }
    await post(jp, 'model.register', modelBody('JP', 'jp-1'))
    await post(jp, 'model.register', modelBody('JP', 'jp-2'))
    await waitFor(() => gb.node.ledger.tip('JP')?.seq === 2 && us.node.ledger.tip('JP')?.seq === 2, 'GB and US to hold JP\'s two records')
    // Only JP's first record stays valid.
    await post(gb, 'member.propose', { proposalId: 'gb-remove-jp', action: 'remove', member: 'JP', lastValidSeq: 1, basis: 0, reason: 'Left the accord' })
    await post(us, 'member.vote', { proposalId: 'gb-remove-jp', approve: true })
    await waitFor(() => [gb, us].every(n => n.node.ledger.roster.get('JP')?.until === 1), 'GB and US to apply the removal')
    const listed = await call(gb, 'GET', '/v1/records?origin=JP')
    assert.deepEqual(listed.json.items.map((r: { seq: number, void?: boolean }) => [r.seq, r.void ?? false]), [[1, false], [2, true]])
    assert.equal((await call(gb, 'GET', '/v1/models/jp-1')).status, 200)
    assert.equal((await call(gb, 'GET', '/v1/models/jp-2')).status, 404)
  })
})

describe('api: stopping a node with live event streams open', function () {
  this.timeout(60_000)
  it('ends the streams and stops (it used to wait for every client to leave)', async () => {
    const s = await services(['GB'])
    const gb = s.nodes[0]!
    const res = await fetch(`${gb.apiUrl}/v1/events`, { headers: { authorization: `Bearer ${gb.token}` } })
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    await s.stop()
    // The stream ended (done) rather than being cut by an error.
    for (;;) { const { done } = await reader.read(); if (done) break }
  })
})
