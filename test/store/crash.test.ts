import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ledger } from '../../src/store/ledger.ts'
import { federation } from '../fixtures.ts'

const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url))

/** Runs the writer until it has reported `atLeast` accepted records, then SIGKILLs it mid-loop. */
async function runAndKill (path: string, atLeast: number): Promise<Map<number, string>> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, path], { stdio: ['ignore', 'pipe', 'inherit'] })
  const reported = new Map<number, string>()
  let buffered = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('writer reported too few records in time')) }, 30_000)
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n'); buffered = lines.pop() ?? ''
      for (const line of lines) {
        const [, seq, id] = line.split(' ')
        reported.set(Number(seq), id as string)
      }
      if (reported.size >= atLeast && child.exitCode == null && !child.killed) {
        child.kill('SIGKILL')
      }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (signal === 'SIGKILL') resolve()
      else reject(new Error(`writer exited with ${code}`))
    })
  })
  return reported
}

describe('store: crash safety (SIGKILL while writing)', function () {
  this.timeout(120_000)
  const fed = federation(['GB', 'US'])
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'accord-crash-')) })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('keeps every record it reported as accepted, duplicates nothing and never reuses a seq', async () => {
    const path = join(dir, 'records.db')
    const everReported = new Map<number, string>()
    for (let round = 0; round < 4; round++) {
      const reported = await runAndKill(path, 50 + round * 37)
      for (const [seq, id] of reported) {
        assert.ok(!everReported.has(seq) || everReported.get(seq) === id, `seq ${seq} was reused with a different record`)
        everReported.set(seq, id)
      }
      const ledger = new Ledger({ path, roster: fed.roster })
      const tip = ledger.tip('GB')
      assert.ok(tip != null)
      for (const [seq, id] of everReported) assert.equal(ledger.idAt('GB', seq), id, `accepted record at seq ${seq} survived`)
      const chain = ledger.range('GB', 1, 1_000_000)
      assert.equal(chain.length, tip.seq, 'one record per seq, no holes')
      assert.deepEqual(chain.map(r => r.seq), Array.from({ length: tip.seq }, (_, i) => i + 1))
      assert.equal(new Set(chain.map(r => r.id)).size, chain.length, 'no duplicated record')
      assert.ok(tip.seq >= Math.max(...everReported.keys()))
      assert.equal(ledger.state.model('gb-crash')?.updates.length, tip.seq - 1)
      ledger.close()
    }
  })
})
