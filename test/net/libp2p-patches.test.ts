import { strict as assert } from 'node:assert'
import { Socket } from 'node:net'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { patchesInForce } from '../../src/net/libp2p-patches.ts'
import { plainNode } from './plain-libp2p.ts'

const PROTOCOL = '/accord-test/blast/1.0.0'

describe('net: fixes to the libp2p hot path', function () {
  this.timeout(60_000)

  it('all are in force with the installed libp2p versions', () => {
    assert.deepEqual(patchesInForce(), { halfWindowUpdates: true, quietFrameDecoder: true, oneWritePerFrame: true })
  })

  it('a Noise frame leaves in one socket write, not two', async () => {
    const a = await plainNode()
    const b = await plainNode()
    const proto = Socket.prototype as unknown as { _write: (...args: unknown[]) => unknown, _writev: (...args: unknown[]) => unknown }
    const { _write: write, _writev: writev } = proto
    let writes = 0
    try {
      let received = 0
      const done = Promise.withResolvers<void>()
      await b.handle(PROTOCOL, async (stream) => {
        for await (const chunk of stream) if ((received += chunk.byteLength) >= 100 * 1024) done.resolve()
      })
      const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, PROTOCOL)
      proto._write = function (...args) { writes++; return write.apply(this, args) }
      proto._writev = function (...args) { writes++; return writev.apply(this, args) }
      for (let i = 0; i < 100; i++) {
        stream.send(new Uint8Array(1024).fill(i & 0xff))
        await new Promise(resolve => setImmediate(resolve))
      }
      await done.promise
      // 100 frames (each a length prefix and a ciphertext buffer), plus the odd window update.
      assert.ok(writes >= 100 && writes <= 110, `${writes} socket writes for 100 frames`)
      await stream.close()
    } finally {
      proto._write = write
      proto._writev = writev
      await a.stop()
      await b.stop()
    }
  })

  it('a receiver of 400 small frames answers with a few window updates, not one per frame, and the sender never stalls', async () => {
    const a = await plainNode()
    const b = await plainNode()
    try {
      let received = 0
      let windowUpdates = 0
      const done = Promise.withResolvers<void>()
      await b.handle(PROTOCOL, async (stream) => {
        // Count the window-update frames (yamux frame type 1) this stream sends back.
        const yamuxStream = stream as unknown as { sendFrame: (header: { type: number }) => unknown }
        assert.equal(typeof yamuxStream.sendFrame, 'function', 'the handler gets the yamux stream itself')
        const send = yamuxStream.sendFrame
        yamuxStream.sendFrame = (header) => { if (header.type === 1) windowUpdates++; return send(header) }
        for await (const chunk of stream) {
          received += chunk.byteLength
          if (received >= 400 * 1024) done.resolve()
        }
      })
      const stream = await a.dialProtocol(b.getMultiaddrs()[0]!, PROTOCOL)
      // 400 KiB in 1 KiB frames: more than one 256 KiB window, so updates must flow for it to finish.
      for (let i = 0; i < 400; i++) {
        if (!stream.send(new Uint8Array(1024).fill(i & 0xff))) await new Promise(resolve => stream.addEventListener('drain', resolve, { once: true }))
        // One frame per write, like gossip: let each go out before the next.
        if (i % 10 === 0) await new Promise(resolve => setImmediate(resolve))
      }
      await done.promise
      assert.equal(received, 400 * 1024)
      // Unpatched, every data frame got a window update back (~400); now one per half window.
      assert.ok(windowUpdates >= 1 && windowUpdates <= 4, `receiver sent ${windowUpdates} window updates for 400 frames`)
      await stream.close()
    } finally {
      await a.stop()
      await b.stop()
    }
  })

  it('length-prefixed decoding gives the same frames, split anywhere, without throwing once per read', () => {
    let throws = 0
    const uint16 = (data: Uint8Array | Uint8ArrayList): number => {
      if (data.byteLength < 2) { throws++; throw new RangeError('Could not decode int16BE') }
      return data instanceof Uint8Array ? (data[0]! << 8) + data[1]! : data.getUint16(0)
    }
    const frames = [new Uint8Array([1, 2, 3]), new Uint8Array(300).fill(7), new Uint8Array([9])]
    const wire = new Uint8ArrayList(...frames.flatMap(f => [new Uint8Array([f.length >> 8, f.length & 0xff]), f])).subarray()
    for (const cut of [1, 2, 3, 5, 150, wire.length - 1]) {
      const decoder = new LengthPrefixedDecoder({ lengthDecoder: uint16, encodingLength: () => 2 })
      const out = [...decoder.decode(wire.subarray(0, cut)), ...decoder.decode(wire.subarray(cut))].map(f => (f as Uint8ArrayList).subarray())
      assert.deepEqual(out, frames, `split at ${cut}`)
    }
    throws = 0
    const decoder = new LengthPrefixedDecoder({ lengthDecoder: uint16, encodingLength: () => 2 })
    for (let i = 0; i < 100; i++) assert.equal([...decoder.decode(wire)].length, 3)
    // Whole frames in every read: the buffer ends empty each time, and that no longer throws.
    assert.equal(throws, 0)
  })
})
