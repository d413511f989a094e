import { strict as assert } from 'node:assert'
import { Quiet } from '../../src/node/quiet.ts'
import { collectWhenQuiet, exposedGc, youngFill, type GcFn } from '../../src/node/idle-gc.ts'

/** A clock the test moves by hand: only it decides when the process counts as quiet. */
function handClock (): { now: () => number, advance: (ms: number) => void } {
  let t = 1_000
  return { now: () => t, advance: (ms) => { t += ms } }
}

/** Lets the Quiet's timers run a few times (real time passes; the hand clock does not). */
const turns = async (ms = 20): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('node: quiet moments between records', () => {
  it('whenQuiet waits while records keep coming and resolves once none came for quietMs', async () => {
    const clock = handClock()
    const quiet = new Quiet(5, clock.now)
    quiet.touch()
    let resolved = false
    const waiting = quiet.whenQuiet(60_000).then(() => { resolved = true })
    for (let i = 0; i < 5; i++) {
      await turns()
      assert.equal(resolved, false, 'a record came less than quietMs ago')
      clock.advance(3)
      quiet.touch()
    }
    clock.advance(4)
    await turns()
    assert.equal(resolved, false, '4 ms after the last record is not yet quiet')
    clock.advance(1)
    await waiting
    assert.equal(resolved, true)
  })

  it('whenQuiet resolves at once when the process is already quiet', async () => {
    const clock = handClock()
    const quiet = new Quiet(5, clock.now)
    let resolved = false
    await quiet.whenQuiet(60_000).then(() => { resolved = true })
    assert.equal(resolved, true, 'nothing was ever taken in')
    quiet.touch()
    clock.advance(5)
    assert.equal(quiet.isQuiet(), true)
  })

  it('whenQuiet gives up waiting after maxWaitMs on a process that is never quiet', async () => {
    const clock = handClock()
    const quiet = new Quiet(5, clock.now)
    quiet.touch()
    let resolved = false
    const waiting = quiet.whenQuiet(30).then(() => { resolved = true })
    // The hand clock never moves: never quiet, so only the bound can end the wait.
    await waiting
    assert.equal(resolved, true)
    assert.equal(quiet.isQuiet(), false)
  })

  it('runs its hooks once per quiet moment that follows activity, not while idle', async () => {
    const clock = handClock()
    const quiet = new Quiet(5, clock.now)
    let calls = 0
    quiet.onQuiet(() => { calls++ })
    quiet.touch()
    quiet.touch()
    clock.advance(5)
    await turns()
    assert.equal(calls, 1)
    await turns(40)
    assert.equal(calls, 1, 'no activity, no more calls')
    quiet.touch()
    clock.advance(10)
    await turns()
    assert.equal(calls, 2)
  })

  it('runs hooks marked last after the others, whenever added; a removed hook is not called', async () => {
    const clock = handClock()
    const quiet = new Quiet(5, clock.now)
    const order: string[] = []
    quiet.onQuiet(() => { order.push('gc') }, true)
    const undo = quiet.onQuiet(() => { order.push('flush A') })
    quiet.onQuiet(() => { order.push('flush B') })
    quiet.touch()
    clock.advance(5)
    await turns()
    assert.deepEqual(order, ['flush A', 'flush B', 'gc'])
    undo()
    quiet.touch()
    clock.advance(5)
    await turns()
    assert.deepEqual(order.slice(3), ['flush B', 'gc'])
  })
})

describe('node: young-generation collection at quiet moments', () => {
  it('collects when the young generation is over the threshold, not when under', async () => {
    const clock = handClock()
    const quiet = new Quiet(5, clock.now)
    const calls: Array<Parameters<GcFn>[0]> = []
    const fake: GcFn = (options) => { calls.push(options) }
    const always = collectWhenQuiet(quiet, 0, fake)
    const never = collectWhenQuiet(quiet, 1, fake)
    assert.ok(always != null && never != null)
    quiet.touch()
    clock.advance(5)
    await turns()
    assert.deepEqual(calls, [{ type: 'minor' }], 'one scavenge, by the collector whose threshold the fill is over')
    assert.equal(always.collections, 1)
    assert.equal(never.collections, 0)
  })

  it("V8's gc() is exposed at run time and a minor collection empties the young generation", () => {
    const gc = exposedGc()
    assert.equal(typeof gc, 'function')
    let keep: unknown[] = []
    for (let i = 0; i < 20_000; i++) keep.push({ i, s: `garbage ${i}` })
    keep = []
    const before = youngFill()
    gc?.({ type: 'minor' })
    const after = youngFill()
    assert.ok(after < before, `young generation ${(before * 100).toFixed(0)} % → ${(after * 100).toFixed(0)} %`)
    assert.equal(keep.length, 0)
  })

  it('ACCORD_IDLE_GC=off leaves collections to V8', () => {
    const quiet = new Quiet(5)
    const before = process.env.ACCORD_IDLE_GC
    process.env.ACCORD_IDLE_GC = 'off'
    try {
      assert.equal(collectWhenQuiet(quiet, 0, () => {}), undefined)
    } finally {
      if (before == null) delete process.env.ACCORD_IDLE_GC
      else process.env.ACCORD_IDLE_GC = before
    }
  })
})
