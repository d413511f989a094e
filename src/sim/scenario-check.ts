/**
 * The meaning of a scenario, checked after its shape: every member named exists, every
 * duration parses, every record referred to is written somewhere, partitions cover everyone,
 * and each condition says one thing. The result is the resolved scenario the runner plays,
 * with durations in ms and every step and expectation knowing where it was written.
 */
import { DEFAULT_SETTINGS, kindOf, proposalPrefix, type FederationSettings } from '../records/index.ts'
import { parseDuration } from './duration.ts'
import { CHECKS, ScenarioError, validateExpectation, validateStep, type ActionArgs, type ActionKind, type CheckKind, type Condition, type Expectation, type ScenarioDoc } from './scenario-schema.ts'

export interface DrillMember { id: string, name: string, region: string, founder: boolean }

export interface ExpectationSpec extends Expectation { where: string, title: string, check: CheckKind, withinMs?: number }

interface StepBase { index: number, where: string, label: string, atMs?: number, afterMs?: number, when?: Condition, timeoutMs: number, expect: ExpectationSpec[] }
export type Step = { [K in ActionKind]: StepBase & { kind: K, args: ActionArgs<K> } }[ActionKind]

export interface NetworkSpec {
  transport: 'tcp' | 'memory'
  degree: number
  latency: { withinMs: number, defaultMs: number, pairs: Array<{ a: string, b: string, ms: number }> }
  jitterMs: number
  seed: number
}

export interface Scenario {
  name: string
  title: string
  description: string
  file?: string
  params: Record<string, unknown>
  members: DrillMember[]
  network: NetworkSpec
  settings: FederationSettings
  startTimeoutMs: number
  stepTimeoutMs: number
  timeline: Step[]
  expect: ExpectationSpec[]
}

const fail = (where: string, message: string): never => { throw new ScenarioError(where, `${where}: ${message}`) }

function duration (value: string | number | undefined, where: string): number | undefined {
  if (value == null) return undefined
  try { return parseDuration(value) } catch (err) { return fail(where, (err as Error).message) }
}

/** The label a record step gives its record, for `holds` / `lacks` to refer to. */
export function recordLabel (step: Step): string | undefined {
  const a = step.args as { as?: string }
  if (a.as != null) return a.as
  switch (step.kind) {
    case 'register': return step.args.model
    case 'report': return step.args.incident
    case 'declare': return step.args.declaration
    case 'propose': return step.args.proposal
    case 'attest': return `shutdown:${step.args.model}`
    default: return undefined
  }
}

export function checkScenario (doc: ScenarioDoc, members: DrillMember[]): Scenario {
  const ids = new Set(members.map(m => m.id))
  const regions = [...new Set(members.map(m => m.region))].sort()
  const member = (id: string, where: string): void => { if (!ids.has(id)) fail(where, `${id} is not a member of this drill (${[...ids].slice(0, 12).join(', ')}${ids.size > 12 ? ' …' : ''})`) }
  const joining = (id: string, where: string): void => { if (members.find(m => m.id === id)?.founder !== false) fail(where, `${id} is not listed under members.joining`) }
  const selector = (value: string | string[] | undefined, where: string): void => {
    for (const token of value == null ? [] : Array.isArray(value) ? value : [value]) {
      const t = token.replace(/^-/, '')
      if (t !== 'all' && t !== 'live' && !ids.has(t) && !regions.includes(t)) fail(where, `"${token}" is neither all, live, a region (${regions.join(', ')}) nor a member`)
    }
  }
  const stepTimeoutMs = duration(doc.stepTimeout, 'stepTimeout') ?? 30_000

  const network = doc.network ?? {}
  for (const [i, p] of (network.latency?.pairs ?? []).entries()) {
    for (const [j, r] of p.between.entries()) if (!regions.includes(r)) fail(`network.latency.pairs[${i}].between[${j}]`, `"${r}" is not a region of this drill (${regions.join(', ')})`)
  }
  const spec: NetworkSpec = {
    transport: network.transport ?? 'memory',
    degree: network.degree ?? 3,
    latency: {
      withinMs: duration(network.latency?.within, 'network.latency.within') ?? 0,
      defaultMs: duration(network.latency?.default, 'network.latency.default') ?? 0,
      pairs: (network.latency?.pairs ?? []).map((p, i) => ({ a: p.between[0] as string, b: p.between[1] as string, ms: duration(p.latency, `network.latency.pairs[${i}].latency`) as number }))
    },
    jitterMs: duration(network.jitter, 'network.jitter') ?? 0,
    seed: network.seed ?? 1
  }

  const condition = (c: Condition | Expectation, where: string): CheckKind => {
    const present = CHECKS.filter(k => (c as Record<string, unknown>)[k] !== undefined)
    if (present.length !== 1) fail(where, `names ${present.length === 0 ? 'no check' : present.join(' and ')}; say exactly one of ${CHECKS.join(', ')}`)
    selector(c.nodes, `${where}.nodes`)
    for (const list of ['includes', 'excludes'] as const) {
      for (const [i, id] of (c.membership?.[list] ?? []).entries()) member(id, `${where}.membership.${list}[${i}]`)
    }
    if (c.equivocation != null) member(c.equivocation, `${where}.equivocation`)
    return present[0] as CheckKind
  }
  const expectation = (value: unknown, where: string): ExpectationSpec => {
    const e = validateExpectation(value, where)
    const check = condition(e, where)
    const withinMs = duration(e.within, `${where}.within`)
    const subject = check === 'redline' ? ` ${e.redline?.declaration ?? ''}` : check === 'holds' || check === 'lacks' ? ` ${[e[check]].flat().join(', ')}` : check === 'equivocation' ? ` by ${e.equivocation ?? ''}` : check === 'incident' ? ` ${e.incident?.id ?? ''}` : ''
    return { ...e, where, check, title: e.name ?? `${check}${subject}`, ...(withinMs != null ? { withinMs } : {}) }
  }

  const timeline: Step[] = doc.timeline.map((value, index) => {
    const where = `timeline[${index}]`
    const { kind, step } = validateStep(value, where)
    const args = step[kind] as Record<string, unknown>
    const at = `${where}.${kind}`
    for (const key of ['by', 'via', 'node', 'signer', 'remove'] as const) {
      if (kind === 'bulk' && key === 'by') continue
      const v = args[key]
      for (const id of v == null ? [] : Array.isArray(v) ? v as string[] : [v as string]) member(id, `${at}.${key}`)
    }
    if (kind === 'propose') {
      if ((args.admit == null) === (args.remove == null)) fail(at, 'say either admit: <ID> or remove: <ID>')
      if (args.admit != null) joining(args.admit as string, `${at}.admit`)
      const prefix = proposalPrefix(String(args.by))
      if (!String(args.proposal).startsWith(prefix)) fail(`${at}.proposal`, `a proposal id starts with its proposer's id: "${prefix}${String(args.proposal)}", not "${String(args.proposal)}"`)
    }
    if (kind === 'record' && kindOf(args.kind as string) == null) fail(`${at}.kind`, `"${String(args.kind)}" is not a record kind`)
    if (kind === 'start') joining(args.node as string, `${at}.node`)
    if (kind === 'bulk') selector(args.by as string[] | undefined, `${at}.by`)
    if (kind === 'partition') checkGroups(args.groups as string[][], ids, regions, members, `${at}.groups`)
    if (kind === 'wait') {
      if ((args.for == null) === (args.until == null)) fail(at, 'say either a duration (wait: 2s) or until: <condition>')
      if (args.until != null) condition(args.until as Condition, `${at}.until`)
    }
    for (const key of ['for', 'timeout'] as const) duration(args[key] as string | undefined, `${at}.${key}`)
    if (step.when != null) condition(step.when, `${where}.when`)
    const label = step.label ?? `${kind}${args.node != null ? ` ${String(args.node)}` : args.by != null ? ` by ${[args.by].flat().join(', ')}` : ''}`
    return {
      index,
      where,
      kind,
      args,
      label,
      ...(step.at != null ? { atMs: duration(step.at, `${where}.at`) } : {}),
      ...(step.after != null ? { afterMs: duration(step.after, `${where}.after`) } : {}),
      ...(step.when != null ? { when: step.when } : {}),
      timeoutMs: duration(step.timeout, `${where}.timeout`) ?? duration(args.timeout as string | undefined, `${at}.timeout`) ?? stepTimeoutMs,
      expect: (step.expect ?? []).map((e, i) => expectation(e, `${where}.expect[${i}]`))
    } as Step
  })

  const labels = new Set(timeline.map(recordLabel).filter((l): l is string => l != null))
  const expect = (doc.expect ?? []).map((e, i) => expectation(e, `expect[${i}]`))
  const conditions: Array<[Condition | Expectation, string]> = [
    ...expect.map(e => [e, e.where] as [Expectation, string]),
    ...timeline.flatMap(s => [
      ...s.expect.map(e => [e, e.where] as [Expectation, string]),
      ...(s.when != null ? [[s.when, `${s.where}.when`] as [Condition, string]] : []),
      ...(s.kind === 'wait' && s.args.until != null ? [[s.args.until, `${s.where}.wait.until`] as [Condition, string]] : [])
    ])
  ]
  for (const [c, where] of conditions) {
    for (const key of ['holds', 'lacks'] as const) {
      for (const label of [c[key] ?? []].flat()) if (!labels.has(label)) fail(`${where}.${key}`, `no step writes a record labelled "${label}" (labels: ${[...labels].join(', ') || 'none'}; give a step \`as: ${label}\`)`)
    }
  }

  return {
    name: doc.name,
    title: doc.title ?? doc.name,
    description: doc.description ?? '',
    params: doc.params ?? {},
    members,
    network: spec,
    settings: { ...DEFAULT_SETTINGS, ...(doc.settings ?? {}) } as FederationSettings,
    startTimeoutMs: duration(doc.startTimeout, 'startTimeout') ?? 180_000,
    stepTimeoutMs,
    timeline,
    expect
  }
}

function checkGroups (groups: string[][], ids: Set<string>, regions: string[], members: DrillMember[], where: string): void {
  const seen = new Map<string, number>()
  let rest = -1
  for (const [g, group] of groups.entries()) {
    for (const [i, token] of group.entries()) {
      if (token === 'rest') { if (rest >= 0) fail(`${where}[${g}][${i}]`, '"rest" may appear once'); rest = g; continue }
      const inToken = ids.has(token) ? [token] : regions.includes(token) ? members.filter(m => m.region === token).map(m => m.id) : fail(`${where}[${g}][${i}]`, `"${token}" is neither a region (${regions.join(', ')}), a member nor rest`)
      for (const id of inToken) {
        const before = seen.get(id)
        if (before != null && before !== g) fail(`${where}[${g}][${i}]`, `${id} is already in group ${before}`)
        seen.set(id, g)
      }
    }
  }
  const left = [...ids].filter(id => !seen.has(id))
  if (left.length > 0 && rest < 0) fail(where, `${left.join(', ')} ${left.length === 1 ? 'is' : 'are'} in no group (add "rest" to one group)`)
}
