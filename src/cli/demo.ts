/**
 * `accord demo` (what `npm start` runs): a federation of institutes from nodes/ on this machine.
 * First run: makes every demo member's key and the signed charter in .demo/ (git-ignored);
 * later runs reuse them, so records persist. Each node is a real `accord node` child process;
 * Ctrl-C stops them all gracefully.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import type { MemberCard } from '../node/keys.ts'
import type { NodeConfig } from '../node/config.ts'
import { CliError } from './client.ts'

interface DemoFederation { federation: string, members: Array<{ id: string, name: string, config: string }>, start: string[] }

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url))

/** Makes (first run) or checks (later runs) the demo members' keys and the charter. */
export async function prepareFederation (fed: DemoFederation, configs: Map<string, NodeConfig>): Promise<string> {
  const [{ createKey, loadKey }, { createCharter, readCharter, signCharter, writeCharter }] = await Promise.all([import('../node/keys.ts'), import('../node/charter.ts')])
  const cards: MemberCard[] = []
  for (const m of fed.members) {
    const config = configs.get(m.id) as NodeConfig
    cards.push(existsSync(`${config.data}/member.key`) ? loadKey(config.data).card : createKey(config.data, m.id, m.name))
  }
  const charterPath = (configs.get(fed.members[0]?.id ?? '') as NodeConfig).charter
  if (existsSync(charterPath)) {
    const charter = readCharter(charterPath)
    const mismatch = cards.find(c => charter.members.find(m => m.id === c.id)?.publicKey !== c.publicKey)
    if (mismatch != null) throw new CliError(`${charterPath} does not match the key of ${mismatch.id}; delete the .demo directory to start the demo afresh`)
    return charterPath
  }
  let charter = createCharter(cards, fed.federation)
  for (const m of fed.members) {
    const key = loadKey((configs.get(m.id) as NodeConfig).data)
    charter = signCharter(charter, key.id, key.key)
  }
  writeCharter(charterPath, charter)
  return charterPath
}

async function waitHealthy (url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode != null) throw new CliError(`the node exited with code ${child.exitCode}`)
    try {
      const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(1000) })
      if (res.ok) return
    } catch {}
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  throw new CliError(`no answer from ${url} within ${timeoutMs / 1000} s`)
}

export function demoCommand (program: Command): void {
  program.command('demo')
    .description('run a demo federation of institutes from nodes/ on this machine (what `npm start` does)')
    .option('--federation <file>', 'the demo federation', 'nodes/federation.json')
    .option('--start <ids>', 'comma-separated members to start (default: the file\'s "start" list)')
    .option('--all', 'start every member in the file')
    .action(async (o: { federation: string, start?: string, all?: boolean }) => {
      let fed: DemoFederation
      try { fed = JSON.parse(readFileSync(o.federation, 'utf8')) as DemoFederation } catch (err) { throw new CliError(`cannot read ${o.federation}: ${(err as Error).message}`) }
      const { loadConfig } = await import('../node/config.ts')
      const configs = new Map(fed.members.map(m => [m.id, loadConfig(m.config)]))
      const charter = await prepareFederation(fed, configs)
      const ids = o.all === true ? fed.members.map(m => m.id) : (o.start?.split(',').map(s => s.trim().toUpperCase()) ?? fed.start)
      for (const id of ids) if (!configs.has(id)) throw new CliError(`${id} is not a member of the demo federation (${fed.members.map(m => m.id).join(', ')})`)
      console.log(`Accord demo: ${fed.federation}, charter ${charter}; starting ${ids.join(', ')} …`)

      const children = new Map<string, ChildProcess>()
      let stopping = false
      const stopAll = async (): Promise<void> => {
        stopping = true
        await Promise.all([...children.values()].map(async c => {
          if (c.exitCode != null) return
          await new Promise<void>(resolve => { c.once('exit', () => resolve()); c.kill('SIGTERM') })
        }))
      }
      process.once('SIGINT', () => { void stopAll() })
      process.once('SIGTERM', () => { void stopAll() })

      for (const id of ids) {
        const config = configs.get(id) as NodeConfig
        const member = fed.members.find(m => m.id === id)
        const log = createWriteStream(`${config.data}/node.log`, { flags: 'a' })
        const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'node', '--config', member?.config ?? ''], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
        child.stdout?.pipe(log)
        child.stderr?.pipe(log)
        child.on('exit', code => { if (!stopping) console.error(`accord demo: node ${id} exited (code ${code}); see ${config.data}/node.log`) })
        children.set(id, child)
      }
      try {
        await Promise.all(ids.map(async id => { await waitHealthy(`http://${configs.get(id)?.apiHost}:${configs.get(id)?.apiPort}`, children.get(id) as ChildProcess) }))
      } catch (err) {
        await stopAll()
        throw err
      }
      console.log('\nmember  API                     token file                   log')
      for (const id of ids) {
        const c = configs.get(id) as NodeConfig
        console.log(`${id.padEnd(7)} http://${c.apiHost}:${c.apiPort}   ${`.demo/${id.toLowerCase()}/api-token`.padEnd(28)} .demo/${id.toLowerCase()}/node.log`)
      }
      const first = configs.get(ids[0] as string) as NodeConfig
      const second = configs.get(ids[1] ?? ids[0] as string) as NodeConfig
      console.log(`\nTry, in another terminal:
  npx accord incident report --node http://127.0.0.1:${first.apiPort} --data .demo/${first.id.toLowerCase()} --id demo-1 --model demo-model --severity critical --harm autonomy --title "Weights copied to an unknown host" --description "Egress detected during evaluation"
  npx accord records --node http://127.0.0.1:${second.apiPort} --data .demo/${second.id.toLowerCase()} --kind incident.report
  npx accord view --node http://127.0.0.1:${second.apiPort} --data .demo/${second.id.toLowerCase()}
Dashboard: http://127.0.0.1:${first.apiPort}/dashboard (paste the token from .demo/${first.id.toLowerCase()}/api-token)
Ctrl-C stops the federation (records are kept for the next npm start).`)
      await Promise.all([...children.values()].map(async c => { if (c.exitCode == null) await new Promise(resolve => c.once('exit', resolve)) }))
      console.log('accord demo: all nodes stopped')
    })
}
