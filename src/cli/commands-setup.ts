/** Commands that set a member up and run its node: init, charter, node. */
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { MemberCard } from '../node/keys.ts'
import type { NodeConfig } from '../node/config.ts'
import { CliError, collect } from './client.ts'

/** Keys, charters and configs, loaded by the commands that use them (schemas and crypto are slow to load). */
async function setup (): Promise<typeof import('../node/keys.ts') & typeof import('../node/charter.ts') & typeof import('../node/config.ts') & typeof import('../records/settings.ts')> {
  const [keys, charter, config, settings] = await Promise.all([import('../node/keys.ts'), import('../node/charter.ts'), import('../node/config.ts'), import('../records/settings.ts')])
  return { ...keys, ...charter, ...config, ...settings }
}

function readJson (path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new CliError(`cannot read ${what} ${path}: ${(err as Error).message}`)
  }
}

/** A member's public card, as JSON or for reading. */
function printCard (card: MemberCard, json: boolean): void {
  console.log(json ? JSON.stringify(card, null, 2) : `member ${card.id} (${card.name})\npublic key ${card.publicKey}\npeer id    ${card.peerId}`)
}

export function setupCommands (program: Command): void {
  program.command('init')
    .description('make this member\'s Ed25519 key in its data directory and print its public card')
    .requiredOption('--id <ID>', 'member id, e.g. GB')
    .requiredOption('--name <name>', 'institute name, e.g. "UK AI Security Institute"')
    .requiredOption('--data <dir>', 'the node\'s data directory (the key never leaves it)')
    .option('--json', 'print the card as JSON')
    .action(async (o: { id: string, name: string, data: string, json?: boolean }) => {
      const { createKey } = await setup()
      if (!/^[A-Z][A-Z0-9-]{1,15}$/.test(o.id)) throw new CliError(`--id ${o.id}: a member id is upper-case letters, digits or '-', 2–16 long, e.g. GB`)
      const card = createKey(o.data, o.id, o.name)
      printCard(card, o.json === true)
      if (o.json !== true) console.log(`key stored in ${o.data}/member.key (mode 0600)`)
    })

  program.command('card')
    .description('print this member\'s public card again, from the key in its data directory')
    .requiredOption('--data <dir>', 'the node\'s data directory')
    .option('--json', 'print the card as JSON')
    .action(async (o: { data: string, json?: boolean }) => {
      const { loadKey } = await setup()
      printCard(loadKey(o.data).card, o.json === true)
    })

  const charter = program.command('charter').description('the federation\'s charter: its founders and settings, signed by every founder')
  charter.command('create')
    .description('make an unsigned charter from the founders\' cards (from `accord init --json`)')
    .requiredOption('--card <file>', 'a founder\'s card (repeat for each founder)', collect)
    .requiredOption('--out <file>', 'where to write the charter')
    .option('--federation <name>', 'the federation\'s name', 'Accord federation')
    .option('--settings <file>', 'JSON object of settings; each field given replaces the default\'s (quorums, thresholds, deadlines, red lines)')
    .action(async (o: { card: string[], out: string, federation: string, settings?: string }) => {
      const { createCharter, writeCharter, DEFAULT_SETTINGS } = await setup()
      const cards = o.card.map(f => readJson(f, 'card') as MemberCard)
      const given = o.settings != null ? readJson(o.settings, 'settings') : undefined
      if (given != null && (typeof given !== 'object' || Array.isArray(given))) throw new CliError(`settings ${String(o.settings)}: a JSON object of settings, e.g. {"redlineQuorum": 2}`)
      const made = createCharter(cards, o.federation, { ...DEFAULT_SETTINGS, ...(given as object | undefined) } as never)
      writeCharter(o.out, made)
      console.log(`charter for ${made.members.length} founders written to ${o.out}; each founder now runs: accord charter sign ${o.out} --data <their data dir>`)
    })
  charter.command('sign <file>')
    .description('add this member\'s signature to the charter (in place)')
    .requiredOption('--data <dir>', 'the signing member\'s data directory')
    .action(async (file: string, o: { data: string }) => {
      const { loadKey, signCharter, readCharter, writeCharter, charterStatus } = await setup()
      const key = loadKey(o.data)
      const signed = signCharter(readCharter(file, { requireSigned: false }), key.id, key.key)
      writeCharter(file, signed)
      const status = charterStatus(signed)
      console.log(`${key.id} signed ${file}; ${status.missing.length === 0 ? 'every founder has signed: the charter is valid' : `still to sign: ${status.missing.join(', ')}`}`)
    })
  charter.command('verify <file>')
    .description('check that every founder signed the charter and nothing changed since')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      const { readCharter, charterStatus } = await setup()
      const c = readCharter(file, { requireSigned: false })
      const status = charterStatus(c)
      if (o.json === true) console.log(JSON.stringify({ federation: c.federation, members: c.members.map(m => m.id), ...status }, null, 2))
      else console.log(`${c.federation}: ${c.members.length} founders (${c.members.map(m => m.id).join(', ')}); signed by ${status.signed.join(', ') || 'nobody'}`)
      if (!status.valid) {
        throw new CliError(status.invalid.length > 0 ? `INVALID: signatures of ${status.invalid.join(', ')} do not verify (tampered or mis-signed)` : `INCOMPLETE: not yet signed by ${status.missing.join(', ')}`)
      }
      if (o.json !== true) console.log('valid')
    })

  program.command('node')
    .description('run this member\'s node until SIGINT/SIGTERM')
    .option('--config <file>', 'node config (nodes/<id>.json); flags override it')
    .option('--id <ID>', 'member id')
    .option('--name <name>', 'institute name')
    .option('--data <dir>', 'data directory')
    .option('--charter <file>', 'signed charter')
    .option('--listen <multiaddr>', 'P2P listen address (repeatable)', collect)
    .option('--announce <multiaddr>', 'P2P address to announce (repeatable)', collect)
    .option('--bootstrap <multiaddr>', 'a member to dial at start; /p2p/<peer id> may be left out, it is learnt on connect (repeatable)', collect)
    .option('--observer <peer id>', 'a peer allowed to connect read-only (repeatable)', collect)
    .option('--api-host <host>', 'HTTP API host')
    .option('--api-port <port>', 'HTTP API port', v => Number(v))
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .action(async (o: Record<string, unknown>) => {
      const { loadConfig } = await setup()
      const flags: Partial<NodeConfig> = {
        id: o.id as string, name: o.name as string, data: o.data as string, charter: o.charter as string,
        listen: o.listen as string[], announce: o.announce as string[], bootstrap: o.bootstrap as string[],
        apiHost: o.apiHost as string, apiPort: o.apiPort as number, logLevel: o.logLevel as string,
        observers: o.observer as string[]
      }
      const config = loadConfig(o.config as string | undefined, flags)
      // The node's parts (libp2p, the store, the API) load only when a node starts (see commands-drill.ts).
      const { startNodeService } = await import('../node/service.ts')
      const running = await startNodeService(config)
      process.stderr.write(`accord: ${config.id} running; API ${running.apiUrl} (token in ${config.data}/api-token); P2P ${running.node.multiaddrs.join(' ')}\n`)
      await new Promise<void>(resolve => {
        const shutdown = (): void => { resolve() }
        process.once('SIGINT', shutdown)
        process.once('SIGTERM', shutdown)
        // Started by `accord demo` with an IPC channel: stop with the parent, never linger.
        if (process.connected === true) process.once('disconnect', shutdown)
      })
      await running.stop()
      // Stopped cleanly (store closed); don't wait on libp2p's leftover timers or an IPC channel.
      process.exit(0)
    })
}
