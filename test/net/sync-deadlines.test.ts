import { strict as assert } from 'node:assert'
import { getEventListeners } from 'node:events'
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { Ledger } from '../../src/store/ledger.ts'
import { helloOf, runSync } from '../../src/net/sync-protocol.ts'
import { federation } from '../fixtures.ts'
import { plainNode } from './plain-libp2p.ts'

const PROTOCOL = '/accord-test/sync-deadlines/1.0.0'

/** A peer that stays silent until the other side gives up on the stream. */
const stall = async (stream: Stream): Promise<void> => { await new Promise(resolve => stream.addEventListener('close', resolve, { once: true })) }

/** A sync round against a peer that behaves as `peer` says; resolves with how the round ended. */
async function roundAgainst (peer: (stream: Stream, ledger: Ledger) => Promise<void>, opts: { roundTimeoutMs: number, stepTimeoutMs: number, signal?: AbortSignal }): Promise<{ error?: Error }> {
  const ledger = new Ledger({ path: ':memory:', roster: federation(['US', 'GB']).roster })
  const a = await plainNode()
  const b = await plainNode()
  try {
    await b.handle(PROTOCOL, async (stream) => { await peer(stream, ledger).catch(() => undefined) })
    const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, PROTOCOL)
    try {
      await runSync(stream, ledger, opts)
      return {}
    } catch (err) {
      return { error: err as Error }
    }
  } finally {
    await a.stop()
    await b.stop()
    ledger.close()
  }
}

const hello = (ledger: Ledger): Uint8Array => {
  const json = new TextEncoder().encode(JSON.stringify(helloOf(ledger)))
  const out = new Uint8Array(json.length + 1)
  out[0] = 0x01
  out.set(json, 1)
  return out
}

describe('net: a sync round is bounded in time', function () {
  this.timeout(30_000)

  it('a peer that says nothing at all ends the round after one step bound', async () => {
    const { error } = await roundAgainst(stall, { roundTimeoutMs: 20_000, stepTimeoutMs: 300 })
    assert.match(String(error?.message), /no progress for 300 ms/)
  })

  it('a peer that says hello and then stalls ends the round after one step bound', async () => {
    const { error } = await roundAgainst(async (stream, ledger) => {
      const lp = lpStream(stream)
      await lp.write(hello(ledger))
      await stall(stream)
    }, { roundTimeoutMs: 20_000, stepTimeoutMs: 300 })
    assert.match(String(error?.message), /no progress for 300 ms/)
  })

  it('a peer that keeps trickling frames cannot stretch the round past its bound', async () => {
    let trickled = 0
    const { error } = await roundAgainst(async (stream, ledger) => {
      const lp = lpStream(stream)
      await lp.write(hello(ledger))
      // A frame every 100 ms, always within the step bound, until the other side gives up.
      while (stream.status === 'open') {
        await new Promise(resolve => setTimeout(resolve, 100))
        await lp.write(Uint8Array.of(0x02, 1, 2, 3))
        trickled++
      }
    }, { roundTimeoutMs: 1_000, stepTimeoutMs: 300 })
    assert.match(String(error?.message), /took longer than 1000 ms/)
    assert.ok(trickled > 1, 'the peer kept making progress')
  })

  it('a peer that answers promptly completes the round, which lets go of the caller\'s signal', async () => {
    // The scheduler passes one long-lived signal to every round: each must remove its listener.
    const stopping = new AbortController()
    const { error } = await roundAgainst(async (stream, ledger) => { await runSync(stream, ledger) }, { roundTimeoutMs: 5_000, stepTimeoutMs: 2_000, signal: stopping.signal })
    assert.equal(error, undefined)
    assert.equal(getEventListeners(stopping.signal, 'abort').length, 0)
  })

  it('the caller\'s signal aborts a round in progress', async () => {
    const stopping = new AbortController()
    setTimeout(() => { stopping.abort(new Error('node stopping')) }, 200)
    const { error } = await roundAgainst(stall, { roundTimeoutMs: 20_000, stepTimeoutMs: 10_000, signal: stopping.signal })
    assert.match(String(error?.message), /node stopping/)
  })
})
