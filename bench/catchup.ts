/**
 * Bench: a node missing 10 k records (a busy day of 20 members) catches up from one peer.
 * Time from the link opening until the digests agree; bytes on the wire counted by a TCP relay
 * between the two nodes (so Noise, Yamux, identify and gossip chatter are all included),
 * compared with the bytes of the records themselves.
 */
import { createServer, connect, type Server } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { AccordNode } from '../src/node/accord-node.ts'
import { federation, DEMO_IDS, seedFor, waitFor } from '../test/fixtures.ts'
import { makeRecords } from './ingest.ts'

export interface CatchupFigures { records: number, seconds: number, recordsPerSec: number, recordBytes: number, wireBytes: number, overhead: number, idle: IdleRoundFigures }

/** A sync round with nothing to send, against a libp2p ping on the same link (both open a stream). */
export interface IdleRoundFigures { rounds: number, roundMs: number, roundCpuMs: number, roundBytes: number, pingMs: number, pingCpuMs: number, pingBytes: number }

/** A loopback TCP relay that counts every byte in both directions. */
async function countingRelay (targetPort: number): Promise<{ server: Server, port: number, bytes: () => number }> {
  let bytes = 0
  const server = createServer(client => {
    const upstream = connect(targetPort, '127.0.0.1')
    client.on('data', d => { bytes += d.length })
    upstream.on('data', d => { bytes += d.length })
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address != null ? address.port : 0
  return { server, port, bytes: () => bytes }
}

/**
 * Once both hold the same 10 k records: sync rounds that find nothing to send (as the periodic
 * ones mostly do), one after another, against libp2p pings over the same connection. Both nodes
 * run in this process, so CPU counts both sides of each.
 */
async function idleRounds (late: AccordNode, holder: AccordNode, bytes: () => number, rounds: number): Promise<IdleRoundFigures> {
  const peer = holder.peerId
  const round = async (): Promise<void> => {
    const result = await late.network.sync.request(peer, 'manual')
    if (result == null) throw new Error('an idle sync round failed')
    if (result.sent + result.received > 0) throw new Error(`an idle sync round moved ${result.sent + result.received} records`)
  }
  const ping = async (): Promise<void> => { await late.network.libp2p.services.ping.ping(peerIdFromString(peer)) }
  const measure = async (step: () => Promise<void>): Promise<{ ms: number, cpuMs: number, bytes: number }> => {
    for (let i = 0; i < 20; i++) await step()
    const b0 = bytes()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < rounds; i++) await step()
    const cpu = process.cpuUsage(c0)
    return { ms: (performance.now() - t0) / rounds, cpuMs: (cpu.user + cpu.system) / 1000 / rounds, bytes: (bytes() - b0) / rounds }
  }
  const r = await measure(round)
  const p = await measure(ping)
  return { rounds, roundMs: r.ms, roundCpuMs: r.cpuMs, roundBytes: r.bytes, pingMs: p.ms, pingCpuMs: p.cpuMs, pingBytes: p.bytes }
}

export async function benchCatchup (total = 10_000): Promise<CatchupFigures> {
  const ids = DEMO_IDS.slice(0, 20)
  const fed = federation(ids)
  const records = makeRecords(total, ids.length)
  const dir = mkdtempSync(join(tmpdir(), 'accord-catchup-'))
  const holder = await AccordNode.create({ id: 'US', seed: seedFor('US'), roster: fed.roster, dbPath: join(dir, 'us.db') })
  for (let i = 0; i < records.length; i += 500) holder.ledger.admitMany(records.slice(i, i + 500))
  await holder.start()
  const port = Number(holder.multiaddrs[0]?.split('/')[4])
  const relay = await countingRelay(port)
  const late = await AccordNode.create({ id: 'GB', seed: seedFor('GB'), roster: fed.roster, dbPath: join(dir, 'gb.db') })
  await late.start()
  try {
    const start = Date.now()
    await late.network.dial(`/ip4/127.0.0.1/tcp/${relay.port}/p2p/${holder.peerId}`)
    await waitFor(() => late.digest() === holder.digest(), 'the late node to catch up', 120_000, 5)
    const seconds = (Date.now() - start) / 1000
    const recordBytes = records.reduce((n, r) => n + r.length, 0)
    const wireBytes = relay.bytes()
    const idle = await idleRounds(late, holder, relay.bytes, Number(process.env.ACCORD_BENCH_IDLE_ROUNDS ?? 300))
    return { records: total, seconds, recordsPerSec: total / seconds, recordBytes, wireBytes, overhead: (wireBytes - recordBytes) / recordBytes, idle }
  } finally {
    await late.stop()
    await holder.stop()
    relay.server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
