/** `accord drill <scenario.yaml>`: plays a drill with real nodes in this process and writes its report. */
import { join } from 'node:path'
import type { Command } from 'commander'
// The simulator (libp2p, the store, every node part) loads only when a drill runs: the other
// commands start in a fraction of the time without it.
import type { DrillEvent, Scenario } from '../sim/index.ts'
import { CliError, collect } from './client.ts'

interface DrillOpts { out?: string, param?: string[], keepData?: boolean, quiet?: boolean }

function params (pairs: string[] = []): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new CliError(`--param ${pair}: say key=value, e.g. --param records=300`)
    out[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return out
}

/** A progress bar on a terminal (steps done of all), plain status lines otherwise; both on stderr. */
function progress (quiet: boolean): (e: DrillEvent) => void {
  const tty = process.stderr.isTTY === true
  let bar = ''
  const line = (text: string): void => {
    if (quiet) return
    if (tty && bar !== '') process.stderr.write('\r\x1b[2K')
    process.stderr.write(`${text}\n`)
    if (tty && bar !== '') process.stderr.write(bar)
  }
  const draw = (done: number, total: number, label: string): void => {
    if (quiet || !tty) return
    const width = 30
    const filled = Math.round((done / Math.max(1, total)) * width)
    const columns = process.stderr.columns > 20 ? process.stderr.columns : 100
    bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`.slice(0, columns - 1)
    process.stderr.write(`\r\x1b[2K${bar}`)
  }
  return e => {
    switch (e.type) {
      case 'phase':
        // The last phase: the bar has done its work.
        if (e.text.startsWith('stopping') && tty && bar !== '') { process.stderr.write('\r\x1b[2K'); bar = '' }
        line(`— ${e.text}`)
        break
      case 'status': line(`  ${e.text}`); break
      case 'warmup': if (tty) draw(e.started, e.total, `nodes started (${e.ready} gossiping)`); else line(`  ${e.started}/${e.total} nodes started, ${e.ready} gossiping`); break
      case 'step':
        if (e.state === 'running') draw(e.index, e.total, `${e.where} ${e.label}`)
        else { line(`  ${e.state === 'ok' ? 'ok    ' : 'FAILED'} ${e.where} ${e.label}: ${e.detail}`); draw(e.index + 1, e.total, '') }
        break
      case 'expectation': line(`  ${e.result.ok ? 'ok    ' : 'FAILED'} ${e.result.where} ${e.result.title}: ${e.result.message}`); break
    }
  }
}

export function drillCommand (program: Command): void {
  program.command('drill <scenario>')
    .description('play a drill scenario (scenarios/*.yaml) with real nodes on this machine, check its expectations and write a report; exits non-zero if any failed')
    .option('--out <dir>', 'where to write report.md, report.json and the SVG charts (default: reports/drills/<name>)')
    .option('--param <key=value>', 'set a parameter the scenario declares (repeatable), e.g. --param records=300', collect)
    .option('--keep-data', 'keep the nodes\' record databases (printed at the end)')
    .option('--quiet', 'no progress bar or status lines')
    .action(async (file: string, o: DrillOpts) => {
      const { loadScenario, runDrill, ScenarioError, writeReport } = await import('../sim/index.ts')
      let scenario: Scenario
      try {
        scenario = loadScenario(file, { params: params(o.param) })
      } catch (err) {
        if (err instanceof ScenarioError) throw new CliError(err.message)
        throw err
      }
      const out = o.out ?? join('reports', 'drills', scenario.name)
      const result = await runDrill(scenario, { keepData: o.keepData === true, onEvent: progress(o.quiet === true) })
      const report = writeReport(result, out)
      const held = result.expectations.filter(e => e.ok).length
      console.log(`drill ${scenario.name}: ${result.ok ? 'PASSED' : 'FAILED'} — ${held}/${result.expectations.length} expectations held, ${result.setup.members} members, ${(result.durationMs / 1000).toFixed(1)} s`)
      console.log(`report: ${join(report.dir, 'report.md')} (${report.files.filter(f => f.endsWith('.svg')).join(', ') || 'no charts'})`)
      if (!result.ok) throw new CliError(`drill ${scenario.name} failed:\n  ${result.failures.join('\n  ')}`)
    })
}
