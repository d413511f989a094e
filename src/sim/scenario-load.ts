/**
 * Reading a scenario: YAML (errors say line and column), `${param}` substitution (defaults from
 * the file's `params`, overridden by the caller), the schema, the members (from a federation file
 * such as nodes/federation.json, generated from the UN member states, or listed), then meaning.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { LineCounter, parseDocument, type Document } from 'yaml'
import { ScenarioError, validateScenarioDoc, type ScenarioDoc } from './scenario-schema.ts'
import { checkScenario, type DrillMember, type Scenario } from './scenario-check.ts'
import { generateMembers } from './un-members.ts'

export interface LoadOptions {
  /** Overrides of the scenario's `params` (strings that look like numbers become numbers). */
  params?: Record<string, string | number | boolean>
}

/** Reads, checks and resolves a scenario file; throws a ScenarioError naming the file and where. */
export function loadScenario (file: string, opts: LoadOptions = {}): Scenario {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ScenarioError('', `cannot read scenario ${file}: ${(err as Error).message}`)
  }
  try {
    const scenario = parseScenario(text, dirname(resolve(file)), opts)
    return { ...scenario, file }
  } catch (err) {
    if (err instanceof ScenarioError) throw new ScenarioError(err.where, `${file}: ${err.message}`)
    throw err
  }
}

/** The same from text; relative paths (members.from) are taken from `baseDir`. */
export function parseScenario (text: string, baseDir: string, opts: LoadOptions = {}): Scenario {
  const lines = new LineCounter()
  const yaml = parseDocument(text, { prettyErrors: true, lineCounter: lines })
  const error = yaml.errors[0]
  if (error != null) {
    const pos = error.linePos?.[0]
    throw new ScenarioError(pos != null ? `line ${pos.line}` : '', `${pos != null ? `line ${pos.line}, column ${pos.col}: ` : ''}${(error.message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+:?$/, '')}`)
  }
  const raw = yaml.toJS() as unknown
  const declared = raw != null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as { params?: Record<string, unknown> }).params ?? {} : {}
  const params: Record<string, unknown> = { ...declared }
  for (const [key, value] of Object.entries(opts.params ?? {})) {
    if (!(key in declared)) throw new ScenarioError('params', `params: "${key}" is not a parameter of this scenario (${Object.keys(declared).join(', ') || 'it has none'})`)
    params[key] = typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value
  }
  try {
    const doc = validateScenarioDoc(substitute(raw, params, ''))
    return { ...checkScenario({ ...doc, params } as ScenarioDoc, membersOf(doc, baseDir)), params }
  } catch (err) {
    const line = err instanceof ScenarioError ? lineOf(yaml, lines, err.where) : undefined
    if (line != null && err instanceof ScenarioError) throw new ScenarioError(err.where, `${err.message} (line ${line})`)
    throw err
  }
}

/** The line where `where` (e.g. `timeline[3].register.by`) is written, or its closest parent that is. */
function lineOf (doc: Document, lines: LineCounter, where: string): number | undefined {
  const path: Array<string | number> = []
  for (const part of where.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part)
    if (m == null) return undefined
    if (m[1] !== '') path.push(m[1] as string)
    for (const i of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) path.push(Number(i[1]))
  }
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined
    if (node?.range != null) return lines.linePos(node.range[0]).line
  }
  return undefined
}

/** Replaces `${name}` in every string value; a value that is exactly `${name}` takes the parameter's type. */
function substitute (value: unknown, params: Record<string, unknown>, where: string): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{(\w+)\}$/.exec(value)
    const lookup = (name: string): unknown => {
      if (!(name in params)) throw new ScenarioError(where, `${where}: \${${name}} is not a parameter (declare it under params)`)
      return params[name]
    }
    if (whole != null) return lookup(whole[1] as string)
    return value.replace(/\$\{(\w+)\}/g, (_, name: string) => String(lookup(name)))
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, params, `${where}[${i}]`))
  if (value != null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'params' && where === '' ? v : substitute(v, params, where === '' ? k : `${where}.${k}`)]))
  }
  return value
}

interface FederationFile { members: Array<{ id: string, name?: string, region?: string }> }

function membersOf (doc: ScenarioDoc, baseDir: string): DrillMember[] {
  const m = doc.members
  const sources = [m.from, m.generate, m.list].filter(x => x != null).length
  if (sources !== 1) throw new ScenarioError('members', 'members: say exactly one of from: <federation file>, generate: <count> or list: [...]')
  if (m.only != null && m.from == null) throw new ScenarioError('members.only', 'members.only: picks members of a federation file; use it with from:')
  let founders: DrillMember[]
  if (m.from != null) {
    const path = resolve(baseDir, m.from)
    let file: FederationFile
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as FederationFile
    } catch (err) {
      throw new ScenarioError('members.from', `members.from: cannot read ${path}: ${(err as Error).message}`)
    }
    const all = (file.members ?? []).map(x => ({ id: x.id, name: x.name ?? `${x.id} AI Safety Institute`, region: x.region ?? 'unknown', founder: true }))
    for (const [i, id] of (m.only ?? []).entries()) {
      if (!all.some(x => x.id === id)) throw new ScenarioError(`members.only[${i}]`, `members.only[${i}]: ${id} is not in ${m.from} (${all.map(x => x.id).join(', ')})`)
    }
    founders = m.only != null ? all.filter(x => m.only?.includes(x.id)) : all
  } else if (m.generate != null) {
    founders = generateMembers(m.generate).map(x => ({ id: x.id, name: `${x.id} national AI safety institute`, region: x.region, founder: true }))
  } else {
    founders = (m.list ?? []).map(x => ({ id: x.id, name: x.name ?? `${x.id} AI Safety Institute`, region: x.region, founder: true }))
  }
  const all = [...founders, ...(m.joining ?? []).map(x => ({ id: x.id, name: x.name ?? `${x.id} AI Safety Institute`, region: x.region, founder: false }))]
  const seen = new Set<string>()
  for (const x of all) {
    if (seen.has(x.id)) throw new ScenarioError('members', `members: ${x.id} is listed twice`)
    seen.add(x.id)
  }
  if (founders.length < 2) throw new ScenarioError('members', 'members: a federation has at least two founding members')
  return all
}
