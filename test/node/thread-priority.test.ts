import { strict as assert } from 'node:assert'
import { existsSync, readFileSync } from 'node:fs'
import { HELPER_NICE, yieldHelperThreads } from '../../src/node/thread-priority.ts'

/** A thread's nice value: field 19 of /proc/<pid>/task/<tid>/stat (after the command name). */
function niceOf (tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
}

describe('node: helper threads yield to the main thread', () => {
  before(function () { if (!existsSync('/proc/self/task')) this.skip() })

  it("lowers every other thread to nice 19, leaves the main thread's priority, and does it once", () => {
    const mainBefore = niceOf(process.pid)
    const lowered = yieldHelperThreads()
    assert.ok(lowered.length > 0, 'Node always runs V8 helper threads')
    assert.ok(!lowered.includes(process.pid), 'not the main thread')
    for (const tid of lowered) if (existsSync(`/proc/self/task/${tid}`)) assert.equal(niceOf(tid), HELPER_NICE, `thread ${tid}`)
    assert.equal(niceOf(process.pid), mainBefore)
    assert.equal(yieldHelperThreads(), lowered, 'a second node in the process changes nothing')
  })
})
