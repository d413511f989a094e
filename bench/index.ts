/** `npm run bench`: every figure is printed beside a baseline measured in the same run. */
import '../src/polyfill.ts'
import { benchIngest } from './ingest.ts'
import { benchL50, l50Heading, l50Lines, l50Summary } from './l50.ts'
import { benchCatchup } from './catchup.ts'
import { l50Chart } from './l50-chart.ts'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

console.log('# Accord benchmarks\n')
console.log('## Ingest (decode → validate → verify → store → fold), 100 k records from 20 origins')
const ingest = await benchIngest(Number(process.env.ACCORD_BENCH_RECORDS ?? 100_000))
console.log(`raw node:crypto Ed25519 verify : ${fmt(ingest.verifyPerSec)} /s (baseline)`)
console.log(`raw libsodium Ed25519 verify  : ${fmt(ingest.sodiumVerifyPerSec)} /s (what the path verifies with)`)
console.log(`full ingest path              : ${fmt(ingest.ingestPerSec)} records/s`)
console.log(`ratio                         : ${(ingest.ratio * 100).toFixed(1)} % of raw node:crypto verify (target ≥ 60 %); ${(ingest.sodiumRatio * 100).toFixed(1)} % of raw libsodium verify`)
console.log(`with ${ingest.workers} verify worker(s)         : ${fmt(ingest.pooledPerSec)} records/s = ${(ingest.pooledRatio * 100).toFixed(1)} % of one core's raw node:crypto verify (batches, as sync admits them)`)
console.log(`reopen + refold ${fmt(ingest.records)} records: ${fmt(ingest.reopenMs)} ms\n`)

console.log(l50Heading())
const l50 = await benchL50()
for (const figures of l50) for (const line of [...l50Lines(figures), '']) console.log(line)
// The picture, and every record's time for whoever wants to look closer (reports/ is git-ignored).
const out = process.env.ACCORD_BENCH_OUT ?? join('reports', 'bench')
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'l50.svg'), l50Chart(l50))
// JSON writes a record some node never got (Infinity) as null.
writeFileSync(join(out, 'l50.json'), JSON.stringify(l50))
console.log(`chart and per-record times: ${join(out, 'l50.svg')}, ${join(out, 'l50.json')}\n`)

console.log('## Catch-up: a node missing 10 k records (a busy day of 20 members) syncs from one peer')
const catchup = await benchCatchup(Number(process.env.ACCORD_BENCH_CATCHUP ?? 10_000))
console.log(`time to fetch, verify and store: ${catchup.seconds.toFixed(2)} s (${fmt(catchup.recordsPerSec)} records/s; target ≤ 3 s)`)
console.log(`bytes on the wire              : ${fmt(catchup.wireBytes)} for ${fmt(catchup.recordBytes)} bytes of records → overhead ${(catchup.overhead * 100).toFixed(2)} % (target ≤ 5 %; counted by a TCP relay, so Noise, Yamux, identify and gossip are included)`)
console.log(`baseline (ingest of the same size, no network): ${(catchup.records / ingest.ingestPerSec).toFixed(2)} s at the full-ingest rate above`)
const idle = catchup.idle
console.log(`idle sync round (nothing missing, ${idle.rounds} in a row): ${idle.roundMs.toFixed(2)} ms, CPU ${idle.roundCpuMs.toFixed(2)} ms (both sides), ${fmt(idle.roundBytes)} bytes on the wire`)
console.log(`baseline: libp2p ping on the same link: ${idle.pingMs.toFixed(2)} ms, CPU ${idle.pingCpuMs.toFixed(2)} ms, ${fmt(idle.pingBytes)} bytes → round/ping ${(idle.roundMs / idle.pingMs).toFixed(1)}× time, ${(idle.roundCpuMs / idle.pingCpuMs).toFixed(1)}× CPU\n`)

console.log('## Summary')
console.log(`ingest: ${(ingest.ratio * 100).toFixed(1)} % of raw node:crypto verify (target ≥ 60 %): ${ingest.ratio >= 0.6 ? 'met' : 'NOT met'}`)
for (const figures of l50) console.log(l50Summary(figures))
console.log(`catch-up: ${catchup.seconds.toFixed(2)} s (target ≤ 3 s), overhead ${(catchup.overhead * 100).toFixed(2)} % (target ≤ 5 %): ${catchup.seconds <= 3 && catchup.overhead <= 0.05 ? 'met' : 'NOT met'}`)
