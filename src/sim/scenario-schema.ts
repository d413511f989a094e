/**
 * The drill scenario format (scenarios/*.yaml), as schemas. A scenario is checked in parts so
 * that an error names where it is: the top level, then each timeline step against the schema
 * of its one action (`timeline[3].partition.groups must NOT have fewer than 2 items`), then
 * each expectation (`expect[1].redline.declaration is required`). Meaning (members that exist,
 * durations that parse, groups that cover everyone) is checked afterwards by scenario-check.ts.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Settings } from '../records/index.ts'
import { compile, type Check } from '../records/schema.ts'

export const Id = Type.String({ pattern: '^[A-Z][A-Z0-9-]{1,15}$', description: 'member id, e.g. GB' })
const ObjectId = Type.String({ pattern: '^[a-z0-9][a-z0-9._:/-]{0,95}$' })
/** `500ms`, `2s`, `1.5m`, `1h` or a number of ms; parsed (and its errors located) by the checker. */
const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String({ minLength: 1 })])
const Label = Type.String({ minLength: 1, maxLength: 100 })
const Ids = Type.Union([Id, Type.Array(Id, { minItems: 1 })])
/** Nodes: `all`, `live`, a region, a member id, `-ID` to leave one out; one or a list. */
const Selector = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })])
const Verdict = Type.Union(['accept', 'reject', 'ignore', 'pending', 'equivocation'].map(v => Type.Literal(v)))
const Labels = Type.Union([Label, Type.Array(Label, { minItems: 1 })])
const MandateStatus = Type.Union(['shut-down', 'mandated', 'overdue', 'unregistered'].map(s => Type.Literal(s)))

const MemberEntry = Type.Object({
  id: Id,
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  region: Type.String({ minLength: 1, maxLength: 40 })
}, { additionalProperties: false })

/** What can be waited for and expected; exactly one of the checks, on `nodes` (default: live). */
export const CHECKS = ['converged', 'holds', 'lacks', 'redline', 'membership', 'incident', 'forged', 'equivocation'] as const
export type CheckKind = typeof CHECKS[number]

const conditionFields = {
  nodes: Type.Optional(Selector),
  converged: Type.Optional(Type.Boolean()),
  holds: Type.Optional(Labels),
  lacks: Type.Optional(Labels),
  redline: Type.Optional(Type.Object({
    declaration: ObjectId,
    confirmed: Type.Optional(Type.Boolean()),
    supporters: Type.Optional(Type.Integer({ minimum: 1 })),
    mandates: Type.Optional(Type.Record(Type.String(), MandateStatus))
  }, { additionalProperties: false })),
  membership: Type.Optional(Type.Object({
    includes: Type.Optional(Type.Array(Id)),
    excludes: Type.Optional(Type.Array(Id)),
    epoch: Type.Optional(Type.Integer({ minimum: 0 }))
  }, { additionalProperties: false })),
  incident: Type.Optional(Type.Object({
    id: ObjectId,
    corroborations: Type.Optional(Type.Integer({ minimum: 0 })),
    corroboratedBy: Type.Optional(Type.Array(Id))
  }, { additionalProperties: false })),
  forged: Type.Optional(Type.Literal('nowhere')),
  equivocation: Type.Optional(Id)
}

export const Condition = Type.Object(conditionFields, { additionalProperties: false })
export type Condition = Static<typeof Condition>

export const Expectation = Type.Object({
  ...conditionFields,
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /** Poll until true, up to this long (for `holds`: counted from when each record was written). */
  within: Type.Optional(Duration)
}, { additionalProperties: false })
export type Expectation = Static<typeof Expectation>

const recordCommon = { as: Type.Optional(Label), verdict: Type.Optional(Verdict) }

/** One schema per step action. */
export const ACTIONS = {
  record: Type.Object({ by: Id, kind: Type.String({ minLength: 1 }), body: Type.Object({}, { additionalProperties: true }), ...recordCommon }, { additionalProperties: false }),
  register: Type.Object({
    by: Id,
    model: ObjectId,
    name: Type.Optional(Type.String({ minLength: 1 })),
    developer: Type.Optional(Type.String({ minLength: 1 })),
    parent: Type.Optional(Type.Object({ model: ObjectId, relation: Type.Union(['fine-tune', 'copy', 'quantisation', 'merge', 'distillation'].map(r => Type.Literal(r))) }, { additionalProperties: false })),
    stage: Type.Optional(Type.Union([Type.Literal('training'), Type.Literal('deployed')])),
    compute: Type.Optional(Type.Number({ minimum: 0 })),
    ...recordCommon
  }, { additionalProperties: false }),
  report: Type.Object({
    by: Id,
    incident: ObjectId,
    models: Type.Array(ObjectId, { minItems: 1 }),
    severity: Type.Optional(Type.Union(['low', 'moderate', 'serious', 'critical'].map(s => Type.Literal(s)))),
    harms: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    title: Type.Optional(Type.String({ minLength: 1 })),
    ...recordCommon
  }, { additionalProperties: false }),
  corroborate: Type.Object({ by: Ids, incident: ObjectId, note: Type.Optional(Type.String()), verdict: Type.Optional(Verdict) }, { additionalProperties: false }),
  declare: Type.Object({
    by: Id,
    declaration: ObjectId,
    model: ObjectId,
    redline: Type.String({ minLength: 1 }),
    evidence: Type.Optional(Type.String({ minLength: 1 })),
    incidents: Type.Optional(Type.Array(ObjectId)),
    ...recordCommon
  }, { additionalProperties: false }),
  confirm: Type.Object({ by: Ids, declaration: ObjectId, note: Type.Optional(Type.String()), verdict: Type.Optional(Verdict) }, { additionalProperties: false }),
  attest: Type.Object({ by: Id, model: ObjectId, declaration: Type.Optional(ObjectId), verification: Type.Optional(Type.String({ minLength: 1 })), ...recordCommon }, { additionalProperties: false }),
  propose: Type.Object({ by: Id, proposal: ObjectId, admit: Type.Optional(Id), remove: Type.Optional(Id), reason: Type.Optional(Type.String({ minLength: 1 })), ...recordCommon }, { additionalProperties: false }),
  vote: Type.Object({ by: Ids, proposal: ObjectId, approve: Type.Optional(Type.Boolean()), verdict: Type.Optional(Verdict) }, { additionalProperties: false }),
  bulk: Type.Object({
    count: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    by: Type.Optional(Selector),
    /** Records per second over all writers. @default as fast as the nodes take them */
    rate: Type.Optional(Type.Number({ exclusiveMinimum: 0 }))
  }, { additionalProperties: false }),
  partition: Type.Object({ groups: Type.Array(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), { minItems: 2 }) }, { additionalProperties: false }),
  heal: Type.Object({ wait: Type.Optional(Type.Boolean()), timeout: Type.Optional(Duration) }, { additionalProperties: false }),
  kill: Type.Object({ node: Id }, { additionalProperties: false }),
  restart: Type.Object({ node: Id, wait: Type.Optional(Type.Boolean()), timeout: Type.Optional(Duration) }, { additionalProperties: false }),
  offline: Type.Object({ node: Id, for: Type.Optional(Duration) }, { additionalProperties: false }),
  online: Type.Object({ node: Id, wait: Type.Optional(Type.Boolean()), timeout: Type.Optional(Duration) }, { additionalProperties: false }),
  start: Type.Object({ node: Id }, { additionalProperties: false }),
  forge: Type.Object({
    via: Id,
    /** The origin the forged records claim. @default XX, an outsider */
    origin: Type.Optional(Id),
    /** Whose key signs them. @default an outsider's key, in no roster */
    signer: Type.Optional(Id),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    as: Type.Optional(Label)
  }, { additionalProperties: false }),
  equivocate: Type.Object({ by: Id, via: Id, as: Type.Optional(Label) }, { additionalProperties: false }),
  wait: Type.Object({ for: Type.Optional(Duration), until: Type.Optional(Condition), timeout: Type.Optional(Duration) }, { additionalProperties: false })
} satisfies Record<string, TSchema>

export type ActionKind = keyof typeof ACTIONS
export type ActionArgs<K extends ActionKind> = Static<typeof ACTIONS[K]>
export const ACTION_KINDS = Object.keys(ACTIONS) as ActionKind[]

/** Fields every step may carry besides its action. */
const stepFields = {
  /** Not before this long after the timeline started. */
  at: Type.Optional(Duration),
  /** This long after the previous step ended. */
  after: Type.Optional(Duration),
  /** Not before this holds (bounded by `timeout`). */
  when: Type.Optional(Condition),
  timeout: Type.Optional(Duration),
  label: Type.Optional(Label),
  expect: Type.Optional(Type.Array(Type.Unknown()))
}

export const NetworkSchema = Type.Object({
  transport: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('memory')])),
  /** How many already-started members each member dials. @default 3 */
  degree: Type.Optional(Type.Integer({ minimum: 1, maximum: 32 })),
  latency: Type.Optional(Type.Object({
    within: Type.Optional(Duration),
    default: Type.Optional(Duration),
    pairs: Type.Optional(Type.Array(Type.Object({ between: Type.Array(Type.String({ minLength: 1 }), { minItems: 2, maxItems: 2 }), latency: Duration }, { additionalProperties: false })))
  }, { additionalProperties: false })),
  jitter: Type.Optional(Duration),
  seed: Type.Optional(Type.Integer({ minimum: 0 }))
}, { additionalProperties: false })

export const ScenarioSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }),
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  description: Type.Optional(Type.String({ maxLength: 8000 })),
  params: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]*$' }), Type.Union([Type.Number(), Type.String(), Type.Boolean()]))),
  members: Type.Object({
    from: Type.Optional(Type.String({ minLength: 1 })),
    only: Type.Optional(Type.Array(Id, { minItems: 1 })),
    generate: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000 })),
    list: Type.Optional(Type.Array(MemberEntry, { minItems: 1 })),
    /** Institutes outside the charter, started by a `start` step once voted in. */
    joining: Type.Optional(Type.Array(MemberEntry))
  }, { additionalProperties: false }),
  network: Type.Optional(NetworkSchema),
  settings: Type.Optional(Type.Partial(Settings)),
  /** Bound on starting every node and forming the gossip mesh. @default 3m */
  startTimeout: Type.Optional(Duration),
  /** Default bound of waits, heals and expectations that give none. @default 30s */
  stepTimeout: Type.Optional(Duration),
  timeline: Type.Array(Type.Unknown(), { minItems: 1 }),
  expect: Type.Optional(Type.Array(Type.Unknown()))
}, { additionalProperties: false })

export type ScenarioDoc = Static<typeof ScenarioSchema>

export class ScenarioError extends Error {
  static override name = 'ScenarioError'
  /** Where in the scenario, e.g. `timeline[3].partition`. */
  readonly where: string
  constructor (where: string, message: string) {
    super(message)
    this.name = 'ScenarioError'
    this.where = where
  }
}

/** `timeline[3].partition.groups.0` → `timeline[3].partition.groups[0]`. */
const bracket = (field: string): string => field.replace(/\.(\d+)(?=\.|$)/g, '[$1]')

/** Runs a check compiled without a prefix and throws a ScenarioError located under `where`. */
function located (check: Check, value: unknown, where: string): void {
  const problem = check(value)
  if (problem == null) return
  const lead = problem.field === '' ? 'value' : problem.field
  const detail = problem.message.startsWith(lead) ? problem.message.slice(lead.length).trim() : problem.message
  const field = bracket([where, problem.field].filter(s => s !== '').join('.'))
  throw new ScenarioError(field, `${field === '' ? 'scenario' : field} ${detail}`)
}

const checkScenario = compile(ScenarioSchema)
const checkAction = new Map<string, Check>()
const checkExpectation = compile(Expectation)

export function validateScenarioDoc (value: unknown): ScenarioDoc {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new ScenarioError('', 'a scenario is a YAML mapping (name, members, timeline …)')
  located(checkScenario, value, '')
  return value as ScenarioDoc
}

/** Shorthands: `kill: GB` is `kill: { node: GB }`, `wait: 2s` is `wait: { for: 2s }`, `heal: true` is `heal: {}`. */
function expand (kind: ActionKind, value: unknown): unknown {
  if (['kill', 'restart', 'offline', 'online', 'start'].includes(kind) && typeof value === 'string') return { node: value }
  if (kind === 'wait' && (typeof value === 'string' || typeof value === 'number')) return { for: value }
  if (kind === 'heal' && (value === true || value == null)) return {}
  return value
}

export interface RawStep extends Record<string, unknown> { at?: number | string, after?: number | string, when?: Condition, timeout?: number | string, label?: string, expect?: unknown[] }

/** Checks one timeline step against its action's schema; returns the action and the expanded step. */
export function validateStep (value: unknown, where: string): { kind: ActionKind, step: RawStep } {
  // A bare action name (`- heal`) is that action with no arguments.
  if (typeof value === 'string' && (ACTION_KINDS as string[]).includes(value)) value = { [value]: null }
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new ScenarioError(where, `${where} must be a mapping with one action (${ACTION_KINDS.join(', ')})`)
  const actions = Object.keys(value).filter(k => (ACTION_KINDS as string[]).includes(k)) as ActionKind[]
  if (actions.length !== 1) {
    const unknown = Object.keys(value).filter(k => !(ACTION_KINDS as string[]).includes(k) && !(k in stepFields))
    const hint = unknown.length > 0 ? ` ("${unknown.join('", "')}" is not one)` : ''
    throw new ScenarioError(where, `${where} must name exactly one action of ${ACTION_KINDS.join(', ')}; it names ${actions.length === 0 ? 'none' : actions.join(' and ')}${hint}`)
  }
  const kind = actions[0] as ActionKind
  const step = { ...(value as Record<string, unknown>), [kind]: expand(kind, (value as Record<string, unknown>)[kind]) }
  let check = checkAction.get(kind)
  if (check == null) checkAction.set(kind, check = compile(Type.Object({ ...stepFields, [kind]: ACTIONS[kind] }, { additionalProperties: false })))
  located(check, step, where)
  return { kind, step: step as RawStep }
}

export function validateExpectation (value: unknown, where: string): Expectation {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new ScenarioError(where, `${where} must be a mapping with one check (${CHECKS.join(', ')})`)
  located(checkExpectation, value, where)
  return value as Expectation
}
