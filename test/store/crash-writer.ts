/** Child process for the crash test: writes its own records forever, saying which were accepted. */
import '../../src/polyfill.ts'
import { Ledger } from '../../src/store/ledger.ts'
import { federation, modelBody } from '../fixtures.ts'
import type { SigningKey } from '../../src/records/index.ts'

const [path] = process.argv.slice(2)
const fed = federation(['GB', 'US'])
const ledger = new Ledger({ path: path as string, roster: fed.roster })
const key = fed.keys.get('GB') as SigningKey
let n = ledger.tip('GB')?.seq ?? 0
for (;;) {
  n++
  const a = n === 1
    ? ledger.author('GB', key, 'model.register', modelBody('GB', 'gb-crash'))
    : ledger.author('GB', key, 'model.update', { modelId: 'gb-crash', parameters: n })
  if (a.verdict !== 'accept') { process.stderr.write(`unexpected ${a.code}: ${a.message}\n`); process.exit(2) }
  process.stdout.write(`ok ${a.record?.seq} ${a.record?.id}\n`)
}
