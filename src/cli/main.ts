/**
 * `accord`: the operator's command. Every command has --help; failures print one line
 * `accord: <reason>` on stderr and exit non-zero.
 */
import '../polyfill.ts'
import { readFileSync } from 'node:fs'
import { Command, CommanderError, Help, type Option } from 'commander'
import { setupCommands } from './commands-setup.ts'
import { clientCommands } from './commands-client.ts'
import { demoCommand } from './demo.ts'
import { governanceCommands } from './commands-governance.ts'
import { drillCommand } from './commands-drill.ts'
import { backupCommands } from './commands-backup.ts'

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

/** Commander's own errors (a missing required flag, an unknown command) as one `accord:` line. */
function oneLineError (text: string): string {
  const lines = text.trim().replace(/^error: /, '').split('\n').map(l => l.trim()).filter(l => l !== '')
  return `accord: ${lines.join(' ')} (run with --help for usage)\n`
}

const program = new Command('accord')
  .description('Accord: the federated network of national AI safety institutes')
  .version(version, '-V, --version', 'print the version of Accord')
  .configureOutput({ outputError: (text, write) => { write(oneLineError(text)) } })
  // Mandatory flags say so in --help (commander lists them like any other option).
  .configureHelp({ optionDescription: (option: Option) => `${new Help().optionDescription(option)}${option.mandatory ? ' (required)' : ''}` })
  .exitOverride()

setupCommands(program)
clientCommands(program)
governanceCommands(program)
demoCommand(program)
drillCommand(program)
backupCommands(program)

// Output piped into `head` and the like: the reader left, which is not an error of ours.
process.stdout.on('error', err => { if ((err as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0); throw err })

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode)
  process.stderr.write(`accord: ${(err as Error).message}\n`)
  process.exit(1)
}
