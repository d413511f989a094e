// Worker thread for VerifyPool: verifies Ed25519 signatures with cached KeyObjects.
// Plain JavaScript so the worker starts without a TypeScript loader.
import { parentPort } from 'node:worker_threads'
import { createPublicKey, verify } from 'node:crypto'

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const keys = new Map()

function keyOf (b64) {
  let key = keys.get(b64)
  if (key == null) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from(b64, 'base64url')]), format: 'der', type: 'spki' })
    keys.set(b64, key)
  }
  return key
}

parentPort.on('message', ({ id, items }) => {
  const results = new Uint8Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const { key, payload, sig } = items[i]
    try { results[i] = sig.length === 64 && verify(null, payload, keyOf(key), sig) ? 1 : 0 } catch { results[i] = 0 }
  }
  parentPort.postMessage({ id, results }, [results.buffer])
})
