/** `npm run bench`: every figure is printed beside a baseline measured in the same run. */
import '../src/polyfill.ts'
import { benchIngest } from './ingest.ts'

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

console.log('# Accord benchmarks\n')
console.log('## Ingest (decode → validate → verify → store → fold), 100 k records from 20 origins')
const ingest = benchIngest(Number(process.env.ACCORD_BENCH_RECORDS ?? 100_000))
console.log(`raw node:crypto Ed25519 verify : ${fmt(ingest.verifyPerSec)} /s (baseline)`)
console.log(`full ingest path              : ${fmt(ingest.ingestPerSec)} records/s`)
console.log(`ratio                         : ${(ingest.ratio * 100).toFixed(1)} % of raw verify (target ≥ 60 %)`)
console.log(`reopen + refold ${fmt(ingest.records)} records: ${fmt(ingest.reopenMs)} ms\n`)
