/**
 * Bench: raw node:crypto Ed25519 verifies/s (the baseline the records issue names) versus
 * records/s through the full ingest path (decode → validate → verify → store → fold) for 100 k
 * records from 20 origins. The path verifies with libsodium, about twice as fast, so the ratio
 * to raw libsodium verification is printed too: the stricter measure of what the rest costs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPairSync, sign, verify } from 'node:crypto'
import sodium from 'sodium-native'
import { Ledger } from '../src/store/ledger.ts'
import { federation, DEMO_IDS, Writer, incidentBody, modelBody } from '../test/fixtures.ts'
import { progress } from './progress.ts'
import { VerifyPool } from '../src/store/verify-pool.ts'

export interface IngestFigures { verifyPerSec: number, sodiumVerifyPerSec: number, sodiumRatio: number, ingestPerSec: number, ratio: number, pooledPerSec: number, pooledRatio: number, workers: number, records: number, reopenMs: number }

/** Raw libsodium verifications per second of a 600-byte message: what the ingest path uses. */
export function rawSodiumVerifyRate (n = 20_000): number {
  const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES)
  const secretKey = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES)
  sodium.crypto_sign_keypair(publicKey, secretKey)
  const msg = Buffer.alloc(600, 7)
  const sig = Buffer.alloc(sodium.crypto_sign_BYTES)
  sodium.crypto_sign_detached(sig, msg, secretKey)
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) if (!sodium.crypto_sign_verify_detached(sig, msg, publicKey)) throw new Error('verify failed')
  return n / (Number(process.hrtime.bigint() - start) / 1e9)
}

/** The same through node:crypto (OpenSSL): the baseline. */
export function rawVerifyRate (n = 20_000): number {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const msg = Buffer.alloc(600, 7)
  const sig = sign(null, msg, privateKey)
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) if (!verify(null, msg, publicKey, sig)) throw new Error('verify failed')
  return n / (Number(process.hrtime.bigint() - start) / 1e9)
}

export function makeRecords (total: number, origins = 20): Uint8Array[] {
  const fed = federation(DEMO_IDS.slice(0, origins))
  const w = new Writer(fed)
  const out: Uint8Array[] = []
  const bar = progress('signing records', total)
  for (let i = 0; i < total; i++) {
    const origin = fed.ids[i % origins] as string
    const round = Math.floor(i / origins)
    const mid = `${origin.toLowerCase()}-m`
    const body = round === 0
      ? modelBody(origin, mid)
      : round % 3 === 0
        ? incidentBody(`${origin.toLowerCase()}-i${round}`, [mid], { description: 'x'.repeat(300) })
        : { modelId: mid, parameters: round, note: 'y'.repeat(300) }
    out.push(w.write(origin, round === 0 ? 'model.register' : round % 3 === 0 ? 'incident.report' : 'model.update', body).bytes)
    bar.tick()
  }
  bar.done()
  return out
}

/** The same ingest with signatures verified on worker threads (as sync does). */
async function pooledIngest (records: Uint8Array[], dir: string, batch: number): Promise<{ perSec: number, workers: number }> {
  const fed = federation(DEMO_IDS.slice(0, 20))
  const pool = new VerifyPool()
  const ledger = new Ledger({ path: join(dir, 'pooled.db'), roster: fed.roster })
  const bar = progress('ingest (workers)', records.length)
  const start = process.hrtime.bigint()
  const batches = Array.from({ length: Math.ceil(records.length / batch) }, (_, k) => records.slice(k * batch, (k + 1) * batch))
  // Pipelined: the next batch's signatures are checked on the worker while this one is stored.
  let next = ledger.prepare(batches[0] ?? [], pool)
  for (const [k, b] of batches.entries()) {
    const prepared = await next
    if (k + 1 < batches.length) next = ledger.prepare(batches[k + 1] as Uint8Array[], pool)
    const results = ledger.admitMany(b, false, prepared)
    for (const r of results) if (r.verdict !== 'accept') throw new Error(`record refused: ${r.code} ${r.message}`)
    bar.tick(results.length)
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  bar.done()
  ledger.close()
  await pool.close()
  return { perSec: records.length / seconds, workers: pool.size }
}

export async function benchIngest (total = 100_000, batch = 256): Promise<IngestFigures> {
  const records = makeRecords(total)
  const fed = federation(DEMO_IDS.slice(0, 20))
  const dir = mkdtempSync(join(tmpdir(), 'accord-bench-'))
  try {
    const verifyPerSec = rawVerifyRate()
    const sodiumVerifyPerSec = rawSodiumVerifyRate()
    const ledger = new Ledger({ path: join(dir, 'records.db'), roster: fed.roster })
    const bar = progress('ingesting', total)
    const start = process.hrtime.bigint()
    for (let i = 0; i < records.length; i += batch) {
      const results = ledger.admitMany(records.slice(i, i + batch))
      for (const r of results) if (r.verdict !== 'accept') throw new Error(`record refused: ${r.code} ${r.message}`)
      bar.tick(results.length)
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    bar.done()
    ledger.close()
    const t0 = Date.now()
    const reopened = new Ledger({ path: join(dir, 'records.db'), roster: fed.roster })
    const reopenMs = Date.now() - t0
    if (reopened.size !== total) throw new Error('reopen lost records')
    reopened.close()
    const ingestPerSec = total / seconds
    const pooled = await pooledIngest(records, dir, batch)
    return { verifyPerSec, sodiumVerifyPerSec, sodiumRatio: ingestPerSec / sodiumVerifyPerSec, ingestPerSec, ratio: ingestPerSec / verifyPerSec, pooledPerSec: pooled.perSec, pooledRatio: pooled.perSec / verifyPerSec, workers: pooled.workers, records: total, reopenMs }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
