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
import { AccordNode } from '../src/node/accord-node.ts'
import { federation, DEMO_IDS, seedFor, waitFor } from '../test/fixtures.ts'
import { makeRecords } from './ingest.ts'

export interface CatchupFigures { records: number, seconds: number, recordsPerSec: number, recordBytes: number, wireBytes: number, overhead: number }

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
    return { records: total, seconds, recordsPerSec: total / seconds, recordBytes, wireBytes, overhead: (wireBytes - recordBytes) / recordBytes }
  } finally {
    await late.stop()
    await holder.stop()
    relay.server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
