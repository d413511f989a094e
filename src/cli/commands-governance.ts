/** Governance commands: red lines and shutdowns, pause orders, membership votes, retractions. */
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { MembershipChange, ProposalStatus, RedlineStatus } from '../records/index.ts'
import { ApiClient, CliError, type ClientOptions, collect } from './client.ts'
import { millis, submit, withClient } from './commands-client.ts'

type Opts = ClientOptions & Record<string, unknown>
const when = (ms: number | undefined): string => ms == null ? '?' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

function formatRedline (r: RedlineStatus): string {
  const lines = [`${r.declarationId}: ${r.modelId} crossed "${r.title}" — declared by ${r.declaredBy} at ${when(r.declaredAt)}`]
  lines.push(`  supporters ${r.supporters.join(', ')} (${r.supporters.length}/${r.quorum}) → ${r.confirmed ? `CONFIRMED at ${when(r.confirmedAt)}, shutdown deadline ${when(r.deadline)}` : 'not confirmed yet'}`)
  for (const m of r.mandates) {
    const state = m.status === 'shut-down' ? `shut down at ${when(m.shutdownAt)} (${m.verification ?? ''})` : m.status === 'overdue' ? 'OVERDUE' : m.status === 'unregistered' ? 'not registered by any member' : 'mandated, awaiting shutdown'
    lines.push(`  ${m.modelId.padEnd(24)} ${String(m.jurisdiction ?? '—').padEnd(4)} ${state}`)
  }
  return lines.join('\n')
}

export function governanceCommands (program: Command): void {
  const redline = program.command('redline').description('red-line crossings and the shutdowns they mandate')
  withClient(redline.command('declare'))
    .description('declare that a model crossed a red line of the charter\'s catalogue')
    .requiredOption('--id <declarationId>', 'declaration id, e.g. gb-rl-2026-01')
    .requiredOption('--model <modelId>', 'the model that crossed it')
    .requiredOption('--redline <id>', 'catalogue id, e.g. self-exfiltration (see `accord redline status`)')
    .requiredOption('--evidence <text>', 'what shows it')
    .option('--incident <incidentId>', 'a related incident (repeatable)', collect)
    .action(async (o: Opts) => { await submit(o, 'redline.declare', { declarationId: o.id, modelId: o.model, redline: o.redline, evidence: o.evidence, ...(o.incident != null ? { incidentIds: o.incident } : {}) }) })
  withClient(redline.command('confirm'))
    .description('back another member\'s declaration (counts once per member)')
    .requiredOption('--id <declarationId>', 'the declaration')
    .option('--note <text>', 'what this member saw')
    .action(async (o: Opts) => { await submit(o, 'redline.confirm', { declarationId: o.id, ...(o.note != null ? { note: o.note } : {}) }) })
  withClient(redline.command('shutdown'))
    .description('attest that a model registered by this member has been shut down')
    .requiredOption('--model <modelId>', 'the model shut down')
    .option('--declaration <declarationId>', 'the declaration that mandated it')
    .option('--at <time>', 'when it was shut down (ISO 8601 or epoch ms)', new Date().toISOString())
    .requiredOption('--verification <text>', 'how the shutdown was verified')
    .action(async (o: Opts) => { await submit(o, 'redline.shutdown', { modelId: o.model, shutdownAt: millis(o.at as string, '--at'), verification: o.verification, ...(o.declaration != null ? { declarationId: o.declaration } : {}) }) })
  withClient(redline.command('status'))
    .description('every declaration: supporters, quorum, mandates, shutdowns and overdue jurisdictions')
    .option('--id <declarationId>', 'only this declaration')
    .action(async (o: Opts) => {
      const client = new ApiClient(o)
      const res = o.id != null ? { items: [await client.get<RedlineStatus>(`/v1/redlines/${encodeURIComponent(o.id as string)}`)], catalogue: [] } : await client.get<{ items: RedlineStatus[], catalogue: Array<{ id: string, title: string }> }>('/v1/redlines?limit=500')
      if (o.json === true) { console.log(JSON.stringify(res, null, 2)); return }
      if (res.items.length === 0) console.log(`no red-line declarations. Catalogue: ${res.catalogue.map(c => c.id).join(', ')}`)
      for (const r of res.items) console.log(formatRedline(r))
    })

  const model = program.commands.find(c => c.name() === 'model') as Command
  for (const [name, paused] of [['pause', true], ['resume', false]] as const) {
    withClient(model.command(name))
      .description(paused ? 'order a pause of a model this member registered' : 'lift this member\'s pause order (never possible after a shutdown)')
      .requiredOption('--id <modelId>', 'model id')
      .option('--note <text>', 'the order\'s reason')
      .action(async (o: Opts) => { await submit(o, 'model.update', { modelId: o.id, paused, ...(o.note != null ? { note: o.note } : {}) }) })
  }
  withClient(model.command('acknowledge'))
    .description('acknowledge another member\'s pause or shutdown of a model')
    .requiredOption('--id <modelId>', 'model id')
    .option('--order <order>', 'pause | shutdown', 'pause')
    .option('--note <text>', 'what this member did')
    .action(async (o: Opts) => { await submit(o, 'model.acknowledge', { modelId: o.id, order: o.order, ...(o.note != null ? { note: o.note } : {}) }) })
  withClient(model.command('withdraw'))
    .description('retract a registration this member made (shown as withdrawn, never deleted)')
    .requiredOption('--id <modelId>', 'model id').requiredOption('--reason <text>', 'why')
    .action(async (o: Opts) => { await submit(o, 'model.withdraw', { modelId: o.id, reason: o.reason }) })

  const incident = program.commands.find(c => c.name() === 'incident') as Command
  withClient(incident.command('withdraw'))
    .description('retract an incident this member reported (shown as withdrawn, never deleted)')
    .requiredOption('--id <incidentId>', 'incident id').requiredOption('--reason <text>', 'why')
    .action(async (o: Opts) => { await submit(o, 'incident.withdraw', { incidentId: o.id, reason: o.reason }) })

  const member = program.command('member').description('membership: propose, vote, list')
  withClient(member.command('propose'))
    .description('propose admitting a member (with its card from `accord init --json`) or removing one')
    .requiredOption('--id <proposalId>', 'proposal id, starting with the proposer\'s member id, e.g. gb-admit-br-2026')
    .option('--admit <card.json>', 'the new member\'s card')
    .option('--remove <ID>', 'the member to remove')
    .option('--last-valid-seq <n>', 'for a removal: its records up to this seq stay valid (default: what this node holds)')
    .requiredOption('--reason <text>', 'why')
    .action(async (o: Opts) => {
      const client = new ApiClient(o)
      const members = await client.get<{ epoch: number, members: Array<{ id: string, removed: boolean }> }>('/v1/members')
      const current = (id: string): boolean => members.members.some(m => m.id === id && !m.removed)
      let body: Record<string, unknown>
      if (typeof o.admit === 'string') {
        const card = JSON.parse(readFileSync(o.admit, 'utf8')) as { id: string }
        // The record would be accepted (another node may know better) but could never apply.
        if (current(card.id)) throw new CliError(`${card.id} is already a member (epoch ${members.epoch}): nothing to admit`)
        body = { proposalId: o.id, action: 'admit', member: card.id, card, basis: members.epoch, reason: o.reason }
      } else if (typeof o.remove === 'string') {
        if (!current(o.remove)) throw new CliError(`${o.remove} is not a member now (epoch ${members.epoch}): nothing to remove; see accord member list`)
        const view = await client.get<{ vector: Record<string, { seq: number }> }>('/v1/view')
        const last = o.lastValidSeq != null ? Number(o.lastValidSeq) : (view.vector[o.remove]?.seq ?? 0)
        body = { proposalId: o.id, action: 'remove', member: o.remove, lastValidSeq: last, basis: members.epoch, reason: o.reason }
      } else throw new CliError('say --admit <card.json> or --remove <ID>')
      await submit(o, 'member.propose', body)
    })
  withClient(member.command('vote'))
    .description('vote on a membership proposal (once)')
    .requiredOption('--id <proposalId>', 'the proposal')
    .option('--reject', 'vote against (default: approve)')
    .option('--note <text>', 'a note')
    .action(async (o: Opts) => { await submit(o, 'member.vote', { proposalId: o.id, approve: o.reject !== true, ...(o.note != null ? { note: o.note } : {}) }) })
  withClient(member.command('list'))
    .description('members now, changes voted in, and open proposals with their votes')
    .action(async (o: Opts) => {
      const res = await new ApiClient(o).get<{ epoch: number, members: Array<{ id: string, name: string, removed: boolean, connected: boolean, self: boolean }>, changes: MembershipChange[], proposals: Array<ProposalStatus> }>('/v1/members')
      if (o.json === true) { console.log(JSON.stringify(res, null, 2)); return }
      console.log(`membership epoch ${res.epoch}: ${res.members.filter(m => !m.removed).length} members`)
      for (const m of res.members) console.log(`  ${m.id.padEnd(5)} ${m.name}${m.removed ? '  (removed)' : ''}${m.self ? '  (this node)' : m.connected ? '  connected' : ''}`)
      for (const p of res.proposals) console.log(`proposal ${p.proposalId}: ${p.proposal.action} ${p.proposal.member} — ${p.status}${p.why != null ? ` (${p.why})` : ''}, ${p.approvals.length}/${p.needed} approvals (${p.approvals.join(', ')})`)
    })
}
