/**
 * A node's configuration: plain JSON (nodes/<id>.json), every field also a flag, flags win.
 * Checked once at load by a schema; an error names the file and the field.
 * Relative paths (data, charter) are taken from the directory the command runs in.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { compile } from '../records/schema.ts'

export const NodeConfigSchema = Type.Object({
  id: Type.String({ pattern: '^[A-Z][A-Z0-9-]{1,15}$', description: 'member id, e.g. GB' }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  data: Type.String({ minLength: 1, description: 'data directory: key, API token, records database' }),
  charter: Type.String({ minLength: 1, description: 'path of the signed charter' }),
  listen: Type.Array(Type.String({ pattern: '^/' }), { minItems: 1 }),
  announce: Type.Array(Type.String({ pattern: '^/' })),
  /** Members to dial at start: multiaddrs, with /p2p/<peer id> or without (learnt on connect). */
  bootstrap: Type.Array(Type.String({ pattern: '^/' })),
  apiHost: Type.String({ minLength: 1 }),
  apiPort: Type.Integer({ minimum: 0, maximum: 65535 }),
  logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(l => Type.Literal(l))),
  observers: Type.Array(Type.String({ minLength: 1 }))
}, { additionalProperties: false })

export type NodeConfig = Static<typeof NodeConfigSchema>

/** Defaults: API on loopback only (operators expose it deliberately), an OS-chosen P2P port. */
export const CONFIG_DEFAULTS = {
  listen: ['/ip4/127.0.0.1/tcp/0'],
  announce: [],
  bootstrap: [],
  apiHost: '127.0.0.1',
  apiPort: 4200,
  logLevel: 'info',
  observers: []
} satisfies Partial<NodeConfig>

const check = compile(NodeConfigSchema)

export class ConfigError extends Error {
  static override name = 'ConfigError'
  readonly field?: string
  constructor (message: string, field?: string) {
    super(message)
    this.name = 'ConfigError'
    if (field != null) this.field = field
  }
}

/** Loads `file` (if any), lays `flags` over it, fills defaults and checks the result. */
export function loadConfig (file: string | undefined, flags: Partial<NodeConfig> = {}): NodeConfig {
  let fromFile: Record<string, unknown> = {}
  if (file != null) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    } catch (err) {
      throw new ConfigError(`${file}: cannot read config: ${(err as Error).message}`)
    }
    if (fromFile == null || typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new ConfigError(`${file}: a config is a JSON object`)
  }
  const defined = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)))
  const merged = { ...CONFIG_DEFAULTS, ...fromFile, ...defined }
  /** Where a field's value came from, for the error: the file, a flag, or neither (a default). */
  const sourceOf = (field: string): string => {
    const key = field.split('.')[0] as string
    return file != null && key in fromFile && !(key in defined) ? file : (key in defined ? 'flag' : (file ?? 'flags'))
  }
  const problem = check(merged)
  if (problem != null) throw new ConfigError(`${sourceOf(problem.field)}: ${problem.message}`, problem.field)
  const config = merged as unknown as NodeConfig
  const bad = badAddress(config)
  if (bad != null) throw new ConfigError(`${sourceOf(bad.field)}: ${bad.field}: ${bad.message}`, bad.field)
  return { ...config, data: resolve(config.data), charter: resolve(config.charter) }
}

/** The first P2P address or peer id that libp2p could not use, said plainly (its own errors name no field). */
function badAddress (config: NodeConfig): { field: string, message: string } | undefined {
  const peerProblem = (id: string): string | undefined => {
    try { peerIdFromString(id); return undefined } catch { return `"${id}" is not a peer id (they look like 12D3KooW…; \`accord card\` prints a member's)` }
  }
  for (const list of ['listen', 'announce', 'bootstrap'] as const) {
    for (const [i, text] of config[list].entries()) {
      let addr
      try { addr = multiaddr(text) } catch (err) { return { field: `${list}.${i}`, message: `"${text}" is not a multiaddr (e.g. /ip4/192.0.2.7/tcp/4101): ${(err as Error).message}` } }
      const peer = addr.getComponents().find(c => c.name === 'p2p')?.value
      const problem = peer != null ? peerProblem(peer) : undefined
      if (problem != null) return { field: `${list}.${i}`, message: problem }
    }
  }
  for (const [i, id] of config.observers.entries()) {
    const problem = peerProblem(id)
    if (problem != null) return { field: `observers.${i}`, message: problem }
  }
  return undefined
}
