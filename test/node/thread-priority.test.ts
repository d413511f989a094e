import { strict as assert } from 'node:assert'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { HELPER_NICE, yieldHelperThreads } from '../../src/node/thread-priority.ts'

/** Field `n` (1-based, as in proc(5)) of /proc/self/task/<tid>/stat; the command name may hold spaces. */
function statField (tid: number, n: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3])
}
const niceOf = (tid: number): number => statField(tid, 19)
/** Scheduling policy: 0 SCHED_OTHER, 5 SCHED_IDLE. */
const policyOf = (tid: number): number => statField(tid, 41)
const hasChrt = (): boolean => { try { execFileSync('chrt', ['--version'], { stdio: 'ignore' }); return true } catch { return false } }

describe('node: helper threads yield to the main thread', () => {
  before(function () { if (!existsSync('/proc/self/task')) this.skip() })

  it("lowers every other thread to nice 19, leaves the main thread's priority, and does it once", () => {
    const mainBefore = niceOf(process.pid)
    const lowered = yieldHelperThreads()
    assert.ok(lowered.length > 0, 'Node always runs V8 helper threads')
    assert.ok(!lowered.includes(process.pid), 'not the main thread')
    const idle = hasChrt()
    for (const tid of lowered) {
      if (!existsSync(`/proc/self/task/${tid}`)) continue
      assert.equal(niceOf(tid), HELPER_NICE, `thread ${tid}`)
      if (idle) assert.equal(policyOf(tid), 5, `thread ${tid} in the idle class (SCHED_IDLE)`)
    }
    assert.equal(niceOf(process.pid), mainBefore)
    assert.equal(policyOf(process.pid), 0, 'the main thread stays in the normal class')
    assert.equal(yieldHelperThreads(), lowered, 'a second node in the process changes nothing')
  })
})

describe('node: helper threads keep their priority when asked (profiling)', () => {
  before(function () { if (!existsSync('/proc/self/task')) this.skip() })

  it('ACCORD_HELPER_PRIORITY=keep leaves every thread as it is', () => {
    // A fresh process: the lowering happens once per process.
    const script = `
      import { yieldHelperThreads } from ${JSON.stringify(new URL('../../src/node/thread-priority.ts', import.meta.url).pathname)}
      import { readdirSync, readFileSync } from 'node:fs'
      const lowered = yieldHelperThreads()
      const nices = readdirSync('/proc/self/task').map(t => { const s = readFileSync('/proc/self/task/' + t + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]) })
      console.log(JSON.stringify({ lowered: lowered.length, max: Math.max(...nices), threads: nices.length }))`
    const run = (env: NodeJS.ProcessEnv): { lowered: number, max: number, threads: number } =>
      JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim().split('\n').pop() as string)
    const kept = run({ ACCORD_HELPER_PRIORITY: 'keep' })
    assert.equal(kept.lowered, 0)
    assert.ok(kept.threads > 1 && kept.max < HELPER_NICE, `no thread lowered: ${JSON.stringify(kept)}`)
    const lowered = run({ ACCORD_HELPER_PRIORITY: '' })
    assert.ok(lowered.lowered > 0 && lowered.max === HELPER_NICE, `threads lowered by default: ${JSON.stringify(lowered)}`)
  })
})
