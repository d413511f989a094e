/** Real Accord nodes on 127.0.0.1 for network tests: made, linked and stopped in one call. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AccordNode } from '../../src/node/accord-node.ts'
import { federation, seedFor, waitFor, type Federation } from '../fixtures.ts'
import type { FederationSettings } from '../../src/records/index.ts'

export interface Cluster {
  fed: Federation
  nodes: Map<string, AccordNode>
  dir: string
  start: (id: string, bootstrap?: string[]) => Promise<AccordNode>
  stop: () => Promise<void>
}

export interface ClusterOptions {
  settings?: FederationSettings
  /** Start only these (default: all of `ids`). */
  startOnly?: string[]
  /** Mean ms between periodic sync rounds (the network's default if not given). */
  syncEveryMs?: number
}

export async function cluster (ids: string[], links: Array<[string, string]> = [], opts: ClusterOptions = {}): Promise<Cluster> {
  const fed = federation(ids)
  const dir = mkdtempSync(join(tmpdir(), 'accord-net-'))
  const nodes = new Map<string, AccordNode>()
  const addrs = new Map<string, string>()
  const start = async (id: string, bootstrap: string[] = []): Promise<AccordNode> => {
    const node = await AccordNode.create({ id, seed: seedFor(id), roster: fed.roster, ...(opts.settings != null ? { settings: opts.settings } : {}), ...(opts.syncEveryMs != null ? { syncEveryMs: opts.syncEveryMs } : {}), dbPath: join(dir, `${id}.db`), listen: [addrs.get(id)?.replace(/\/p2p\/.*$/, '') ?? '/ip4/127.0.0.1/tcp/0'], bootstrap })
    await node.start()
    addrs.set(id, node.multiaddrs[0] as string)
    nodes.set(id, node)
    return node
  }
  // Start in order; each node bootstraps off the already-started ends of its links.
  for (const id of opts.startOnly ?? ids) {
    const bootstrap = links.filter(([a, b]) => (a === id && addrs.has(b)) || (b === id && addrs.has(a)))
      .map(([a, b]) => addrs.get(a === id ? b : a) as string)
    await start(id, bootstrap)
  }
  return {
    fed,
    nodes,
    dir,
    start,
    stop: async () => {
      await Promise.allSettled([...nodes.values()].map(async n => { await n.stop() }))
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** Waits until every given node holds the same digest, and returns it. */
export async function converged (nodes: AccordNode[], what = 'identical view digests', timeoutMs = 30_000): Promise<string> {
  await waitFor(() => new Set(nodes.map(n => n.digest())).size === 1, what, timeoutMs)
  return nodes[0]?.digest() as string
}
