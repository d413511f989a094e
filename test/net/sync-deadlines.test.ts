import { strict as assert } from 'node:assert'
import { getEventListeners } from 'node:events'
import { lpStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { Ledger } from '../../src/store/ledger.ts'
import { helloOf, runSync } from '../../src/net/sync-protocol.ts'
import { federation } from '../fixtures.ts'
import { plainNode } from './plain-libp2p.ts'

const PROTOCOL = '/accord-test/sync-deadlines/1.0.0'

/** A sync round against a peer that behaves as `peer` says; resolves with how the round ended. */
async function roundAgainst (peer: (stream: Stream, ledger: Ledger) => Promise<void>, opts: { roundTimeoutMs: number, stepTimeoutMs: number, signal?: AbortSignal }): Promise<{ error?: Error, ms: number }> {
  const ledger = new Ledger({ path: ':memory:', roster: federation(['US', 'GB']).roster })
  const a = await plainNode()
  const b = await plainNode()
  try {
    await b.handle(PROTOCOL, async (stream) => { await peer(stream, ledger).catch(() => undefined) })
    const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, PROTOCOL)
    const started = Date.now()
    try {
      await runSync(stream, ledger, opts)
      return { ms: Date.now() - started }
    } catch (err) {
      return { error: err as Error, ms: Date.now() - started }
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
    const { error, ms } = await roundAgainst(async () => { await new Promise(resolve => setTimeout(resolve, 5_000)) }, { roundTimeoutMs: 20_000, stepTimeoutMs: 300 })
    assert.match(String(error?.message), /no progress for 300 ms/)
    assert.ok(ms < 5_000, `ended after ${ms} ms`)
  })

  it('a peer that says hello and then stalls ends the round after one step bound', async () => {
    const { error } = await roundAgainst(async (stream, ledger) => {
      const lp = lpStream(stream)
      await lp.write(hello(ledger))
      await new Promise(resolve => setTimeout(resolve, 5_000))
    }, { roundTimeoutMs: 20_000, stepTimeoutMs: 300 })
    assert.match(String(error?.message), /no progress for 300 ms/)
  })

  it('a peer that keeps trickling frames cannot stretch the round past its bound', async () => {
    const { error, ms } = await roundAgainst(async (stream, ledger) => {
      const lp = lpStream(stream)
      await lp.write(hello(ledger))
      // A frame every 100 ms: always within the step bound, never done.
      for (let i = 0; i < 50; i++) {
        await new Promise(resolve => setTimeout(resolve, 100))
        await lp.write(Uint8Array.of(0x02, 1, 2, 3))
      }
    }, { roundTimeoutMs: 1_000, stepTimeoutMs: 300 })
    assert.match(String(error?.message), /took longer than 1000 ms/)
    assert.ok(ms >= 1_000 && ms < 4_000, `ended after ${ms} ms`)
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
    const { error, ms } = await roundAgainst(async () => { await new Promise(resolve => setTimeout(resolve, 5_000)) }, { roundTimeoutMs: 20_000, stepTimeoutMs: 10_000, signal: stopping.signal })
    assert.match(String(error?.message), /node stopping/)
    assert.ok(ms < 5_000, `ended after ${ms} ms`)
  })
})
