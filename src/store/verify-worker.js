// Worker thread for VerifyPool: verifies Ed25519 signatures with libsodium, as the main thread
// does (src/records/keys.ts). Plain JavaScript so the worker starts without a TypeScript loader.
import { parentPort } from 'node:worker_threads'
import sodium from 'sodium-native'

const keys = new Map()

function keyOf (b64) {
  let key = keys.get(b64)
  if (key == null) {
    key = Buffer.from(b64, 'base64url')
    keys.set(b64, key)
  }
  return key
}

const asBuffer = (bytes) => Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

parentPort.on('message', ({ id, items }) => {
  const results = new Uint8Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const { key, payload, sig } = items[i]
    try {
      const pk = keyOf(key)
      results[i] = sig.length === 64 && pk.length === 32 && sodium.crypto_sign_verify_detached(asBuffer(sig), asBuffer(payload), pk) ? 1 : 0
    } catch { results[i] = 0 }
  }
  parentPort.postMessage({ id, results }, [results.buffer])
})
