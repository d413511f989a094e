/**
 * `accord`: the operator's command. Every command has --help; failures print one line
 * `accord: <reason>` on stderr and exit non-zero.
 */
import '../polyfill.ts'
import { Command, CommanderError } from 'commander'
import { setupCommands } from './commands-setup.ts'
import { clientCommands } from './commands-client.ts'
import { demoCommand } from './demo.ts'
import { governanceCommands } from './commands-governance.ts'
import { drillCommand } from './commands-drill.ts'

const program = new Command('accord')
  .description('Accord: the federated network of national AI safety institutes')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()

setupCommands(program)
clientCommands(program)
governanceCommands(program)
demoCommand(program)
drillCommand(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode)
  process.stderr.write(`accord: ${(err as Error).message}\n`)
  process.exit(1)
}
