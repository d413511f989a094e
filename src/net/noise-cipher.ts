/**
 * Noise's ChaCha20-Poly1305 through libsodium (sodium-native, already here for signatures).
 *
 * @libp2p/noise encrypts every frame with either a WebAssembly cipher (below 1,200 bytes) or
 * node:crypto (above), and node:crypto builds a Cipher object per frame: ~8 µs for a 1.2 KB
 * frame on this machine, against ~2.5 µs for libsodium's one call, and a gossiped record is
 * encrypted and decrypted on every hop. Same algorithm (RFC 8439, IETF nonce), same bytes on
 * the wire: a peer running stock @libp2p/noise reads these frames and we read theirs (tested).
 */
import sodium from 'sodium-native'
import type { ICryptoInterface } from '@libp2p/noise'
import { defaultCrypto } from '@libp2p/noise/crypto'
import type { Uint8ArrayList } from 'uint8arraylist'

// @types/sodium-native leaves out the IETF-nonce AEAD that Noise uses (the binding has it).
declare module 'sodium-native' {
  function crypto_aead_chacha20poly1305_ietf_encrypt (c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number
  function crypto_aead_chacha20poly1305_ietf_decrypt (m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number
}

const TAG_BYTES = 16

const contiguous = (bytes: Uint8Array | Uint8ArrayList): Uint8Array => bytes instanceof Uint8Array ? bytes : bytes.subarray()

export const sodiumNoiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt (plaintext, nonce, ad, k) {
    const message = contiguous(plaintext)
    const out = Buffer.allocUnsafe(message.byteLength + TAG_BYTES)
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, message, ad.byteLength > 0 ? ad : null, null, nonce, k)
    return out
  },
  chaCha20Poly1305Decrypt (ciphertext, nonce, ad, k) {
    const sealed = contiguous(ciphertext)
    if (sealed.byteLength < TAG_BYTES) throw new Error('noise frame shorter than its authentication tag')
    const out = Buffer.allocUnsafe(sealed.byteLength - TAG_BYTES)
    // Throws on a forged or corrupted frame, as @libp2p/noise expects of its ciphers.
    sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, sealed, ad.byteLength > 0 ? ad : null, nonce, k)
    return out
  }
}
