/**
 * Ed25519 keys. Signing (a node signs only its own records) goes through node:crypto with the
 * KeyObject made once. Verification, which every node does for every record of every member,
 * goes through libsodium (sodium-native, prebuilt in its npm package): 15,000 verifications/s
 * on this machine against node:crypto's 7,000, and signatures are most of what admitting a
 * record costs. libsodium's checks are the strict ones (canonical S, no small-order keys).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import sodium from 'sodium-native'

// DER prefixes that wrap a raw 32-byte Ed25519 key as SPKI (public) and PKCS#8 (private).
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** A signing key held in memory: the seed never leaves the node's data directory. */
export class SigningKey {
  readonly #key: KeyObject
  readonly seed: Uint8Array
  readonly publicKey: Uint8Array
  /** base64url of the raw public key: how rosters and cards name the key. */
  readonly publicKeyB64: string

  constructor (seed: Uint8Array) {
    if (seed.length !== 32) throw new TypeError('an Ed25519 seed is 32 bytes')
    this.seed = seed
    this.#key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
    const spki = createPublicKey(this.#key).export({ format: 'der', type: 'spki' })
    this.publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length))
    this.publicKeyB64 = Buffer.from(this.publicKey).toString('base64url')
  }

  static generate (): SigningKey {
    const { privateKey } = generateKeyPairSync('ed25519')
    const der = privateKey.export({ format: 'der', type: 'pkcs8' })
    return new SigningKey(new Uint8Array(der.subarray(PKCS8_PREFIX.length)))
  }

  sign (data: Uint8Array): Uint8Array {
    return sign(null, data, this.#key)
  }
}

const rawKeyCache = new Map<string, Buffer>()

/** A public key (base64url) as its raw 32 bytes, decoded once. */
function rawPublicKey (publicKeyB64: string): Buffer {
  let raw = rawKeyCache.get(publicKeyB64)
  if (raw == null) {
    raw = Buffer.from(publicKeyB64, 'base64url')
    if (raw.length !== 32) throw new TypeError('an Ed25519 public key is 32 bytes')
    rawKeyCache.set(publicKeyB64, raw)
  }
  return raw
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

export function verifySignature (publicKeyB64: string, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false
  return sodium.crypto_sign_verify_detached(asBuffer(signature), asBuffer(data), rawPublicKey(publicKeyB64))
}
