import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { nodeCrypto } from '@libp2p/noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { sodiumNoiseCrypto } from '../../src/net/noise-cipher.ts'
import { plainNode } from './plain-libp2p.ts'

const ECHO = '/accord-test/echo/1.0.0'

const bytesOf = (out: Uint8Array | Uint8ArrayList): Uint8Array => out instanceof Uint8Array ? out : out.subarray()

describe('net: Noise cipher through libsodium', function () {
  this.timeout(60_000)

  it('seals exactly as node:crypto does, and opens what node:crypto sealed', () => {
    for (const size of [0, 1, 15, 16, 17, 511, 1100, 1200, 65_519]) {
      const k = randomBytes(32)
      const nonce = randomBytes(12)
      const ad = size % 2 === 0 ? randomBytes(32) : new Uint8Array(0)
      const plaintext = randomBytes(size)
      const ours = bytesOf(sodiumNoiseCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k))
      const theirs = bytesOf(nodeCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k))
      assert.deepEqual(Buffer.from(ours), Buffer.from(theirs), `ciphertext of ${size} bytes`)
      assert.deepEqual(Buffer.from(bytesOf(sodiumNoiseCrypto.chaCha20Poly1305Decrypt(theirs, nonce, ad, k))), plaintext)
    }
  })

  it('takes frames split across chunks (Uint8ArrayList)', () => {
    const k = randomBytes(32)
    const nonce = randomBytes(12)
    const ad = new Uint8Array(0)
    const plaintext = randomBytes(3000)
    const split = new Uint8ArrayList(plaintext.subarray(0, 1000), plaintext.subarray(1000))
    const sealed = bytesOf(sodiumNoiseCrypto.chaCha20Poly1305Encrypt(split, nonce, ad, k))
    const sealedList = new Uint8ArrayList(sealed.subarray(0, 7), sealed.subarray(7))
    assert.deepEqual(Buffer.from(bytesOf(sodiumNoiseCrypto.chaCha20Poly1305Decrypt(sealedList, nonce, ad, k))), plaintext)
  })

  it('refuses a tampered frame, a wrong key and a frame shorter than its tag', () => {
    const k = randomBytes(32)
    const nonce = randomBytes(12)
    const ad = new Uint8Array(0)
    const sealed = Buffer.from(bytesOf(sodiumNoiseCrypto.chaCha20Poly1305Encrypt(randomBytes(100), nonce, ad, k)))
    const tampered = Buffer.from(sealed)
    tampered[10] = (tampered[10] as number) ^ 1
    assert.throws(() => sodiumNoiseCrypto.chaCha20Poly1305Decrypt(tampered, nonce, ad, k), /verify/)
    assert.throws(() => sodiumNoiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, randomBytes(32)), /verify/)
    assert.throws(() => sodiumNoiseCrypto.chaCha20Poly1305Decrypt(sealed.subarray(0, 15), nonce, ad, k), /shorter than its authentication tag/)
  })

  it('talks to a peer running stock @libp2p/noise, both ways', async () => {
    const ours = await plainNode(sodiumNoiseCrypto)
    const stock = await plainNode()
    try {
      for (const server of [ours, stock]) {
        await server.handle(ECHO, async (stream) => {
          for await (const chunk of stream) stream.send(chunk)
          await stream.close()
        })
      }
      for (const [client, server] of [[ours, stock], [stock, ours]] as const) {
        const stream = await client.dialProtocol(server.getMultiaddrs()[0]!, ECHO)
        const sent = [randomBytes(1), randomBytes(1100), randomBytes(70_000)]
        const total = sent.reduce((n, b) => n + b.byteLength, 0)
        const received = new Uint8ArrayList()
        const reading = (async () => {
          for await (const chunk of stream) {
            received.append(chunk)
            if (received.byteLength >= total) break
          }
        })()
        for (const b of sent) stream.send(b)
        await reading
        assert.deepEqual(Buffer.from(received.subarray()), Buffer.concat(sent))
        await stream.close()
      }
    } finally {
      await ours.stop()
      await stock.stop()
    }
  })
})
