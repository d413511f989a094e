import { strict as assert } from 'node:assert'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadTraces, overlapping, traceReport, traceRuns, tracedRecords } from '../../bench/l50-trace-report.ts'
import { ShardTrace, traceRunDir, type ShardTraceFile } from '../../bench/l50-trace.ts'
import { busyIn, labelledSamples, type CpuProfile } from '../../bench/l50-trace-profile.ts'

/**
 * Four nodes in two processes (0–1 and 2–3), three records after one warm-up record. Record 2
 * is slow: node 3 gets it 40 ms after it was sent, while process 2 stalls for 30 ms. Record 3
 * (from node 3) never reaches node 1.
 */
function traces (): ShardTraceFile[] {
  const origins = [0, 0, 2, 3]
  const sent = [1000, 1100, 1200, 1300]
  const sentAt = (mine: number[]): number[] => sent.map((t, r) => mine.includes(origins[r] as number) ? t : Number.NaN)
  const a: ShardTraceFile = {
    pid: 100, monotonicMinusClockMs: -1000, from: 0, to: 2, warmup: 1, origins, sentAt: sentAt([0, 1]),
    arrivals: [[0, 1, 1005], [1, 1, 1104], [2, 0, 1203], [2, 1, 1205], [3, 0, 1302],
      // The origin's own copy is not a delivery.
      [1, 0, 1100]],
    gc: [[1210, 4, 1]],
    stalls: []
  }
  const b: ShardTraceFile = {
    pid: 101, monotonicMinusClockMs: -1000, from: 2, to: 4, warmup: 1, origins, sentAt: sentAt([2, 3]),
    arrivals: [[0, 2, 1006], [0, 3, 1007], [1, 2, 1105], [1, 3, 1106], [2, 3, 1240], [3, 2, 1304], [3, 3, 1305]],
    gc: [],
    stalls: [[1205, 30], [2400, 25]]
  }
  return [a, b]
}

describe('bench: the L50 trace report', () => {
  it('works out each measured record\'s time to all nodes, per process, from the arrivals', () => {
    const records = tracedRecords(traces())
    assert.deepEqual(records.map(r => r.record), [1, 2, 3], 'the warm-up record is left out')
    const [one, two, three] = records
    assert.equal(one?.ms, 6)
    assert.deepEqual([...(one?.lastByProcess ?? [])], [[0, 4], [2, 6]])
    assert.equal(two?.ms, 40)
    assert.deepEqual(two?.arrivals.at(-1), [3, 40])
    assert.equal(three?.ms, Number.POSITIVE_INFINITY, 'node 1 never got record 3')
  })

  it('finds the events that overlap a window', () => {
    const events: Array<[number, number]> = [[0, 5], [10, 5], [20, 1]]
    assert.deepEqual(overlapping(events, 12, 20).map(o => o.after), [-2])
    assert.deepEqual(overlapping(events, 4, 11).map(o => o.event), [[0, 5], [10, 5]])
  })

  it('names the slowest record with what overlapped it, and the node most often last', () => {
    const lines = traceReport(traces(), 0.67)
    assert.match(lines[0] ?? '', /2 processes, 3 records measured \(1 warm-up left out\)/)
    assert.match(lines[1] ?? '', /not everywhere 1$/)
    // Per process: the 30 ms stall is in the measured window, the 25 ms one a second after the last record is not.
    assert.match(lines.find(l => l.includes('nodes 2–3')) ?? '', /1 of ≥ 20 ms \(longest 30\.0\)/)
    const slow = lines.find(l => l.includes('#2 '))
    assert.ok(slow != null, lines.join('\n'))
    assert.match(slow, /#2 40\.0 ms from node 2 \| last per process 0:5\.0 2:40\.0 \| last nodes 0@3\.0 1@5\.0 3@40\.0/)
    assert.match(slow, /\[0\] minor GC \+10 4\.0/)
    assert.match(slow, /\[2\] stall \+5 30\.0/)
    assert.match(lines.find(l => l.includes('#3 ')) ?? '', /#3 not everywhere from node 3/)
    assert.match(lines.at(-1) ?? '', /nodes most often last: 3 \(2×\)/)
  })

  it('tells what a process was busy with from its CPU profile: the first kind of work on each sample\'s stack', () => {
    // root → poll → heartbeat → sendRpc; root → poll → onStreamRead → validateReceivedMessage; root → (idle); root → (garbage collector)
    const frame = (functionName: string, url = ''): { functionName: string, url: string } => ({ functionName, url })
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 6, 7] },
        { id: 2, callFrame: frame('poll'), children: [3, 4] },
        { id: 3, callFrame: frame('heartbeat', 'file:///x/node_modules/@libp2p/gossipsub/dist/src/gossipsub.js'), children: [5] },
        { id: 4, callFrame: frame('onStreamRead', 'node:internal/stream_base_commons'), children: [8] },
        { id: 5, callFrame: frame('sendRpc', 'file:///x/node_modules/@libp2p/gossipsub/dist/src/gossipsub.js') },
        { id: 6, callFrame: frame('(idle)') },
        { id: 7, callFrame: frame('(garbage collector)') },
        { id: 8, callFrame: frame('validateReceivedMessage', 'file:///x/node_modules/@libp2p/gossipsub/dist/src/gossipsub.js') }
      ],
      // Monotonic µs: samples at 100.0, 100.5, 101.0, 101.5, 102.0 ms.
      startTime: 100_000,
      samples: [5, 8, 8, 6, 7],
      timeDeltas: [0, 500, 500, 500, 500]
    }
    const samples = labelledSamples(profile)
    assert.deepEqual(samples, [[100, 'gossipsub heartbeat'], [100.5, 'admitting (validate, verify, apply)'], [101, 'admitting (validate, verify, apply)'], [102, 'garbage collection']], 'idle is not busy')
    assert.deepEqual(busyIn(samples, 100.5, 102), [['admitting (validate, verify, apply)', 1]])
    // In the report: record 2 was on its way from 1200 to 1240 on the trace's clock, 200–240 on the monotonic one.
    const busy = new Map([[2, [[210, 'gossipsub heartbeat'], [239, 'forwarding'], [241, 'forwarding']] as Array<[number, string]>]])
    const slow = traceReport(traces(), 0.67, busy).find(l => l.includes('#2 ')) ?? ''
    assert.match(slow, /\[2\] stall \+5 30\.0, busy gossipsub heartbeat 0\.5, forwarding 0\.5$/)
  })

  it('a worker\'s trace goes to its run\'s directory and reads back, NaN included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-trace-'))
    try {
      const loadAt = Date.UTC(2026, 11, 2, 23, 0, 0)
      const trace = new ShardTrace(dir, { from: 0, to: 2, warmup: 0, origins: [0] })
      trace.arrived(0, 1, 1005)
      trace.write('accord', loadAt, [1000])
      new ShardTrace(dir, { from: 2, to: 4, warmup: 0, origins: [0] }).write('accord', loadAt, [Number.NaN])
      const run = traceRunDir(dir, 'accord', loadAt)
      assert.deepEqual(readdirSync(dir), ['accord-2026-12-02T23-00-00-000Z'])
      assert.deepEqual(traceRuns(dir), [run])
      const back = loadTraces(run)
      assert.deepEqual(back.map(t => t.from), [0, 2])
      assert.ok(Number.isNaN(back[1]?.sentAt[0]))
      assert.equal(tracedRecords(back)[0]?.ms, Number.POSITIVE_INFINITY, 'node 3 never got it')
      assert.throws(() => traceRuns(join(dir, '..', 'accord-no-such')), /ENOENT/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
