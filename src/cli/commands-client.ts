/** Commands that talk to a running node's API: submit, model, incident, records, view, tail. */
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { ApiClient, CliError, DEFAULT_NODE, type ClientOptions, collect } from './client.ts'
import { formatEvent, formatRecord, formatView, viewProblems, type ViewJson } from './format.ts'

export function withClient (cmd: Command): Command {
  return cmd
    .option('--node <url>', `the node's API (or ACCORD_NODE)`, process.env.ACCORD_NODE ?? DEFAULT_NODE)
    .option('--data <dir>', 'read the API token from this node data directory')
    .option('--token <token>', 'the API token (or ACCORD_TOKEN)')
    .option('--json', 'print JSON')
}

/** A time given as ISO 8601 or milliseconds since the epoch. */
export function millis (value: string, flag: string): number {
  // A time of day without a zone is read in this shell's TZ by Date.parse: the same command would
  // record different moments in different countries.
  if (/\d[T ]\d{1,2}:\d{2}/.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim())) {
    throw new CliError(`${flag} ${value}: say the time zone, e.g. ${value.trim()}Z for UTC or ${value.trim()}+01:00 (without one the time would depend on this computer's TZ)`)
  }
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(n)) throw new CliError(`${flag} ${value}: give a time as ISO 8601 (2026-11-22T10:00Z) or epoch milliseconds`)
  return n
}

/** `value` as one word for a POSIX shell, so that a printed command can be pasted back. */
function shellWord (value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`
}

export async function submit (o: ClientOptions & { json?: boolean }, kind: string, body: object): Promise<void> {
  const client = new ApiClient(o)
  const res = await client.post<{ id: string, origin: string, seq: number }>('/v1/records', { kind, body })
  if (o.json === true) console.log(JSON.stringify(res))
  else console.log(`accepted ${kind} as ${res.origin} #${res.seq} (record ${res.id.slice(0, 16)}…)`)
}

export function clientCommands (program: Command): void {
  withClient(program.command('submit <kind>'))
    .description('sign and publish a record of any kind through the node')
    .option('--file <file>', 'the record body as a JSON file')
    .option('--body <json>', 'the record body as JSON text')
    .option('--example', 'print an example body for this kind and exit')
    .action(async (kind: string, o: ClientOptions & { file?: string, body?: string, example?: boolean, json?: boolean }) => {
      if (o.example === true) {
        const { kindOf, unknownKindMessage } = await import('../records/index.ts')
        const known = kindOf(kind)
        if (known == null) throw new CliError(unknownKindMessage(kind))
        console.log(JSON.stringify(known.kind.example, null, 2))
        return
      }
      const text = o.file != null ? readFileSync(o.file, 'utf8') : o.body
      if (text == null) throw new CliError('give the body with --file <file> or --body <json> (see --example)')
      let body: unknown
      try { body = JSON.parse(text) } catch (err) { throw new CliError(`the body is not valid JSON: ${(err as Error).message}`) }
      await submit(o, kind, body as object)
    })

  const model = program.command('model').description('the registry of large AI models')
  withClient(model.command('register'))
    .description('register a model in this member\'s jurisdiction')
    .requiredOption('--id <modelId>', 'stable model id, e.g. gb-frontier-1')
    .requiredOption('--name <name>', 'model name')
    .requiredOption('--developer <developer>', 'developer organisation')
    .option('--jurisdiction <ID>', 'this member\'s id (default: the node\'s own)')
    .option('--stage <stage>', 'training | deployed', 'training')
    .requiredOption('--compute <flop>', 'training compute in FLOP, e.g. 3e25', Number)
    .requiredOption('--params <n>', 'parameter count', Number)
    .option('--open-weights', 'the weights are openly released', false)
    .option('--parent <modelId>', 'the model this one derives from')
    .option('--relation <relation>', 'fine-tune | copy | quantisation | merge | distillation')
    .option('--weights-digest <sha256>', 'SHA-256 of the weights')
    .option('--eval <name=result[=score]>', 'a capability-evaluation result (repeatable; required for frontier models)', collect)
    .action(async (o: ClientOptions & Record<string, unknown>) => {
      const evaluations = ((o.eval ?? []) as string[]).map(e => {
        const [name, result, score] = e.split('=')
        if (name == null || name === '' || result == null || result === '') throw new CliError(`--eval ${e}: give name=result or name=result=score`)
        return { name, result, ...(score != null ? { score: Number(score) } : {}) }
      })
      // A member registers models in its own jurisdiction: the node says which member it is.
      const jurisdiction = o.jurisdiction ?? (await new ApiClient(o).get<{ id: string }>('/v1/health')).id
      await submit(o, 'model.register', {
        modelId: o.id, name: o.name, developer: o.developer, jurisdiction, stage: o.stage,
        trainingComputeFlop: o.compute, parameters: o.params, openWeights: o.openWeights === true,
        ...(o.parent != null ? { parent: { modelId: o.parent, relation: o.relation ?? 'fine-tune' } } : {}),
        ...(o.weightsDigest != null ? { weightsDigest: o.weightsDigest } : {}),
        ...(evaluations.length > 0 ? { evaluations } : {})
      })
    })
  withClient(model.command('update'))
    .description('change a model this member registered')
    .requiredOption('--id <modelId>', 'model id')
    .option('--stage <stage>', 'training | deployed | decommissioned')
    .option('--note <text>', 'what changed')
    .action(async (o: ClientOptions & Record<string, unknown>) => {
      await submit(o, 'model.update', { modelId: o.id, ...(o.stage != null ? { stage: o.stage } : {}), ...(o.note != null ? { note: o.note } : {}) })
    })

  const incident = program.command('incident').description('incident alerts')
  withClient(incident.command('report'))
    .description('report an incident to the whole federation')
    .requiredOption('--id <incidentId>', 'incident id, e.g. gb-2026-0001')
    .requiredOption('--model <modelId>', 'a model involved (repeatable)', collect)
    .requiredOption('--severity <level>', 'low | moderate | serious | critical')
    .requiredOption('--harm <category>', 'cyber | cbrn | deception | autonomy | critical-infrastructure | health-safety | misinformation | rights | privacy | financial | other (repeatable)', collect)
    .requiredOption('--title <text>', 'one-line summary')
    .requiredOption('--description <text>', 'what happened')
    .option('--occurred <time>', 'when it occurred (ISO 8601 or epoch ms)', new Date().toISOString())
    .option('--detected <time>', 'when it was detected (default: occurred)')
    .option('--status <status>', 'open | investigating | contained | resolved', 'open')
    .option('--tlp <marking>', 'CLEAR | GREEN | AMBER | AMBER+STRICT | RED', 'AMBER')
    .action(async (o: ClientOptions & Record<string, unknown>) => {
      const occurredAt = millis(o.occurred as string, '--occurred')
      await submit(o, 'incident.report', {
        incidentId: o.id, modelIds: o.model, severity: o.severity, harms: o.harm, title: o.title, description: o.description,
        occurredAt, detectedAt: o.detected != null ? millis(o.detected as string, '--detected') : occurredAt, status: o.status, tlp: o.tlp
      })
    })
  withClient(incident.command('update'))
    .description('a follow-up or final report on an incident this member reported')
    .requiredOption('--id <incidentId>', 'incident id')
    .option('--report <stage>', 'follow-up | final')
    .option('--status <status>', 'open | investigating | contained | resolved')
    .option('--severity <level>', 'low | moderate | serious | critical')
    .option('--description <text>', 'what is known now')
    .action(async (o: ClientOptions & Record<string, unknown>) => {
      const { id, report, status, severity, description } = o
      await submit(o, 'incident.update', Object.fromEntries(Object.entries({ incidentId: id, report, status, severity, description }).filter(([, v]) => v != null)))
    })
  withClient(incident.command('corroborate'))
    .description('say this member has seen another member\'s incident too')
    .requiredOption('--id <incidentId>', 'incident id')
    .option('--note <text>', 'what was seen')
    .action(async (o: ClientOptions & Record<string, unknown>) => {
      await submit(o, 'incident.corroborate', { incidentId: o.id, ...(o.note != null ? { note: o.note } : {}) })
    })

  withClient(program.command('records'))
    .description('list records held by the node, oldest first')
    .option('--kind <kind>', 'only this kind')
    .option('--origin <ID>', 'only this member\'s')
    .option('--since <time>', 'only records made at or after this time')
    .option('--limit <n>', 'at most this many', '100')
    .option('--after <cursor>', 'continue after this cursor (printed at the end of a page)')
    .action(async (o: ClientOptions & Record<string, string | boolean | undefined>, cmd: Command) => {
      const q = new URLSearchParams()
      for (const k of ['kind', 'origin', 'limit', 'after'] as const) if (typeof o[k] === 'string') q.set(k, o[k])
      if (typeof o.since === 'string') q.set('since', String(millis(o.since, '--since')))
      const res = await new ApiClient(o).get<{ items: Array<Record<string, unknown>>, next?: number, more?: boolean }>(`/v1/records?${q.toString()}`)
      if (o.json === true) { console.log(JSON.stringify(res, null, 2)); return }
      for (const r of res.items) console.log(formatRecord(r))
      // The same query from where this page ends: the filters too, or the next page would be another list.
      if (res.more === true && res.next != null) {
        const same = (['kind', 'origin', 'since', 'limit'] as const)
          .filter(k => typeof o[k] === 'string' && cmd.getOptionValueSource(k) !== 'default')
          .map(k => `--${k} ${shellWord(o[k] as string)}`)
        console.log(`… more: ${[...same, `--after ${res.next}`].join(' ')}`)
      }
    })

  withClient(program.command('view'))
    .description('the node\'s view: digest, and whether each member agrees')
    .option('--check', 'exit 1 unless every other member is connected and agrees and no chain is frozen (for monitoring)')
    .action(async (o: ClientOptions & { json?: boolean, check?: boolean }) => {
      const view = await new ApiClient(o).get<ViewJson>('/v1/view')
      console.log(o.json === true ? JSON.stringify(view, null, 2) : formatView(view))
      const problems = viewProblems(view)
      if (o.check === true && problems.length > 0) throw new CliError(`check failed: ${problems.join('; ')}`)
    })

  withClient(program.command('tail'))
    .description('follow records and alarms as they arrive (Ctrl-C to stop)')
    .action(async (o: ClientOptions & { json?: boolean }) => {
      const stop = new AbortController()
      process.once('SIGINT', () => stop.abort())
      const client = new ApiClient(o)
      // Alarms are phrased for this node's operator ("this member's key"): which node is it?
      const self = o.json === true ? '?' : (await client.get<{ id?: string }>('/v1/health').catch(() => ({ id: undefined }))).id ?? '?'
      await client.follow((event, data, id) => {
        console.log(o.json === true ? JSON.stringify({ id, event, data }) : formatEvent(event, data, self))
      }, stop.signal)
    })
}
