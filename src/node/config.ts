/**
 * A node's configuration: plain JSON (nodes/<id>.json), every field also a flag, flags win.
 * Checked once at load by a schema; an error names the file and the field.
 * Relative paths (data, charter) are taken from the directory the command runs in.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
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
  const problem = check(merged)
  if (problem != null) {
    const source = file != null && problem.field in fromFile && !(problem.field in defined) ? file : (problem.field in defined ? 'flag' : (file ?? 'flags'))
    throw new ConfigError(`${source}: ${problem.message}`, problem.field)
  }
  const config = merged as unknown as NodeConfig
  return { ...config, data: resolve(config.data), charter: resolve(config.charter) }
}
