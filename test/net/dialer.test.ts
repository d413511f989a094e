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
})
