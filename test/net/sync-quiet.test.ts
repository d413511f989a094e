import { strict as assert } from 'node:assert'
import { Ledger } from '../../src/store/ledger.ts'
import { Network } from '../../src/net/network.ts'
import type { QuietGate } from '../../src/net/sync-scheduler.ts'
import { NET_DEFAULTS } from '../../src/net/options.ts'
import type { SigningKey } from '../../src/records/index.ts'
import { federation, incidentBody, seedFor, waitFor } from '../fixtures.ts'

/** A gate the test holds shut, counting how often a periodic round asked to pass. */
class HeldGate implements QuietGate {
  asked = 0
  #open = false
  #waiting: Array<() => void> = []

  async whenQuiet (): Promise<void> {
    this.asked++
    if (this.#open) return
    await new Promise<void>(resolve => this.#waiting.push(resolve))
  }

  open (): void {
    this.#open = true
    for (const resolve of this.#waiting.splice(0)) resolve()
  }
}

describe('net: periodic sync rounds wait for a quiet moment', function () {
  this.timeout(30_000)

  it('no periodic round runs while the gate is shut; they resume once it opens', async () => {
    const fed = federation(['US', 'GB'])
    const ledgers = ['US', 'GB'].map(() => new Ledger({ path: ':memory:', roster: fed.roster }))
    const gate = new HeldGate()
    // US syncs every ~50 ms through the gate; GB practically never on its own.
    const us = await Network.create({ ledger: ledgers[0] as Ledger, seed: seedFor('US'), quiet: gate, syncEveryMs: 50 })
    await us.start()
    const gb = await Network.create({ ledger: ledgers[1] as Ledger, seed: seedFor('GB'), syncEveryMs: 3_600_000, bootstrap: us.multiaddrs })
    await gb.start()
    try {
      // The connection's own round (not periodic) runs regardless of the gate.
      await waitFor(() => us.sync.rounds >= 1 && gb.sync.rounds >= 1, 'the round on connecting')
      const rounds = us.sync.rounds
      const connected = Date.now()
      const asked = gate.asked
      // Past the minimum interval between two rounds with one peer, so only the gate can hold them.
      await waitFor(() => Date.now() - connected > NET_DEFAULTS.syncMinIntervalMs + 500 && gate.asked >= asked + 5, 'periodic rounds asking the gate past the minimum interval')
      assert.equal(us.sync.rounds, rounds, 'no round while the gate is shut')
      gate.open()
      // A peer's periodic rounds are ≥ 2 s apart (syncMinIntervalMs), so the next one comes within that.
      await waitFor(() => us.sync.rounds > rounds, 'a periodic round once the gate is open', 10_000)
    } finally {
      await gb.stop()
      await us.stop()
      for (const ledger of ledgers) ledger.close()
    }
  })
})

describe('net: gossipsub heartbeats wait for a quiet moment', function () {
  this.timeout(30_000)

  it('no heartbeat runs while the gate is shut; they run, on schedule again, once it opens', async () => {
    const fed = federation(['US'])
    const ledger = new Ledger({ path: ':memory:', roster: fed.roster })
    const gate = new HeldGate()
    // No periodic sync to ask the gate: every ask is a heartbeat's.
    const us = await Network.create({ ledger, seed: seedFor('US'), quiet: gate, syncEveryMs: 3_600_000 })
    const pubsub = us.libp2p.services.pubsub as unknown as { heartbeatTicks: number }
    await us.start()
    try {
      await waitFor(() => gate.asked >= 1, 'the first heartbeat to ask the gate (due 100 ms after start)')
      const firstAsk = Date.now()
      // Heartbeats are 1 s apart: past that, one would have run twice over had the gate not held it.
      await waitFor(() => Date.now() - firstAsk > 1_500, 'a heartbeat interval and a half')
      assert.equal(pubsub.heartbeatTicks, 0, 'no heartbeat while the gate is shut')
      assert.equal(gate.asked, 1, 'the held heartbeat does not schedule the next one')
      gate.open()
      await waitFor(() => pubsub.heartbeatTicks >= 1, 'the held heartbeat once the gate opens', 5_000, 10)
      await waitFor(() => pubsub.heartbeatTicks >= 2, 'the next heartbeat on schedule', 5_000)
    } finally {
      await us.stop()
      ledger.close()
    }
  })
})

describe('net: a cascade of sync rounds waits for a quiet moment', function () {
  this.timeout(30_000)

  it('records fetched by sync reach the next peer only once the gate opens', async () => {
    const fed = federation(['US', 'GB', 'CA'])
    const [us, gb, ca] = ['US', 'GB', 'CA'].map(() => new Ledger({ path: ':memory:', roster: fed.roster })) as [Ledger, Ledger, Ledger]
    const hour = 3_600_000
    for (let i = 0; i < 5; i++) ca.author('CA', fed.keys.get('CA') as SigningKey, 'incident.report', incidentBody(`cascade-${i}`, ['frontier-1']), Date.now() - hour)
    const gate = new HeldGate()
    // An hour old: not re-gossiped when fetched (see Network). GB sits between US and CA and no
    // node runs periodic rounds, so only GB's cascade can carry CA's records on to US.
    const middle = await Network.create({ ledger: gb, seed: seedFor('GB'), quiet: gate, syncEveryMs: hour })
    await middle.start()
    const left = await Network.create({ ledger: us, seed: seedFor('US'), syncEveryMs: hour, bootstrap: middle.multiaddrs })
    await left.start()
    let right: Network | undefined
    try {
      await waitFor(() => middle.sync.rounds >= 1 && left.sync.rounds >= 1, 'the US–GB round on connecting')
      // GB's first heartbeat asks the gate and, held, schedules no other: every later ask is the cascade's.
      await waitFor(() => gate.asked >= 1, 'GB\'s first heartbeat at the gate')
      const asked = gate.asked
      right = await Network.create({ ledger: ca, seed: seedFor('CA'), syncEveryMs: hour, bootstrap: middle.multiaddrs })
      // US and CA would learn each other's address from GB and sync directly: keep them apart.
      await left.block([right.peerId])
      await right.block([left.peerId])
      await right.start()
      await waitFor(() => gb.digest() === ca.digest(), 'GB fetching CA\'s records on connecting')
      await waitFor(() => gate.asked > asked, 'the cascade asking the gate')
      const roundsWithUs = left.sync.rounds
      const held = Date.now()
      await waitFor(() => Date.now() - held > 300, 'a moment with the gate shut')
      assert.equal(us.size, 0, 'US got nothing while the gate was shut')
      assert.equal(left.sync.rounds, roundsWithUs, 'no round with US while the gate was shut')
      gate.open()
      await waitFor(() => us.digest() === ca.digest(), 'US holding CA\'s records once the gate opens')
      assert.equal(us.size, 5)
    } finally {
      await right?.stop()
      await left.stop()
      await middle.stop()
      for (const ledger of [us, gb, ca]) ledger.close()
    }
  })
})
