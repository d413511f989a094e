/** Two or more real node services (API + libp2p on 127.0.0.1) in this process, for API tests. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createKey, loadKey } from '../../src/node/keys.ts'
import { createCharter, signCharter, writeCharter } from '../../src/node/charter.ts'
import { loadConfig } from '../../src/node/config.ts'
import { startNodeService, type RunningNode } from '../../src/node/service.ts'

export interface Services { dir: string, nodes: RunningNode[], charter: string, stop: () => Promise<void> }

const quiet = new Writable({ write (_chunk, _enc, cb) { cb() } })

/** `logTo` gives a node's log a destination (a sink by default). */
export async function services (ids: string[], logTo?: (id: string) => Writable): Promise<Services> {
  const dir = mkdtempSync(join(tmpdir(), 'accord-api-'))
  const cards = ids.map(id => createKey(join(dir, id), id, `${id} institute`))
  let charter = createCharter(cards, 'Test federation')
  for (const id of ids) { const k = loadKey(join(dir, id)); charter = signCharter(charter, k.id, k.key) }
  const charterPath = join(dir, 'charter.json')
  writeCharter(charterPath, charter)
  const nodes: RunningNode[] = []
  for (const id of ids) {
    const bootstrap = nodes.length > 0 ? [nodes[0]!.node.multiaddrs[0]!] : []
    nodes.push(await startNodeService(loadConfig(undefined, { id, data: join(dir, id), charter: charterPath, apiPort: 0, logLevel: logTo != null ? 'info' : 'silent', bootstrap }), logTo?.(id) ?? quiet))
  }
  return {
    dir,
    nodes,
    charter: charterPath,
    stop: async () => {
      for (const n of nodes) await n.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export async function call (node: RunningNode, method: string, path: string, opts: { body?: unknown, raw?: string, token?: string | null, headers?: Record<string, string> } = {}): Promise<{ status: number, json: any }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) }
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? node.token}`
  if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] ??= 'application/json'
  const res = await fetch(`${node.apiUrl}${path}`, { method, headers, ...(opts.raw !== undefined ? { body: opts.raw } : opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) })
  const text = await res.text()
  let json: unknown
  try { json = JSON.parse(text) } catch { json = text }
  return { status: res.status, json }
}
