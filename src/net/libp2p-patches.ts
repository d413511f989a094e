/**
 * Three small fixes to the libp2p stack's hot path, applied once when the network room loads,
 * before any connection exists. Each checks the shape it relies on and leaves the library
 * alone if a new version changed it; `patchesInForce()` reports which took (a test asserts
 * each, so an upgrade that drops one shows up).
 *
 * 1. Yamux window updates at half a window, as go-yamux and rust-yamux send them.
 *    `@libp2p/yamux` (8.x) answers every data frame it receives with a window-update frame,
 *    even when the sender still has almost all of its 256 KiB window. Gossip is many small
 *    frames (a 1 KiB record each), so every delivery and every duplicate cost a second frame
 *    back: encoded, Noise-encrypted, written, then read, decrypted and parsed on the other side
 *    (7 % of all CPU at 50 nodes was `sendWindowUpdate` alone). Here an established stream
 *    holds its update back until it has consumed half its receive window; the sender then
 *    still has the other half, so it never waits. Streams that must send SYN/ACK flags, and
 *    paused ones, go through the original code.
 *
 * 2. No exception per read in length-prefixed decoding. `LengthPrefixedDecoder` (Noise frames
 *    on every connection) finds out that its buffer is used up by calling the length decoder on
 *    the empty buffer and catching the RangeError it throws: one Error with a captured stack
 *    trace per socket read, 8 % of the busy CPU at 50 nodes. Here the length decoder answers an
 *    empty buffer with length 0, for which the decoder's own bounds check already stops the
 *    loop (a 0-length frame still needs its prefix, which an empty buffer lacks), so decoding is
 *    unchanged and nothing is thrown.
 *
 * 3. One socket write per Noise frame. Noise hands TCP each frame as two buffers (its 2-byte
 *    length, then the ciphertext) and @libp2p/tcp writes them one by one: two syscalls and,
 *    with Nagle off, two TCP segments per gossip message, the first two bytes long. Here a TCP
 *    connection corks its socket while it flushes a small send queue, so Node hands the kernel
 *    everything queued in one writev (the socket write was 14 % of the busy CPU at 50 nodes).
 */
import { YamuxStream, StreamState } from '@libp2p/yamux/stream'
import { AbstractMultiaddrConnection, LengthPrefixedDecoder } from '@libp2p/utils'

interface WindowFields { state: StreamState, recvWindow: number, recvWindowCapacity: number }
interface Patchable { __accordPatched?: boolean }

const yamuxProto = YamuxStream.prototype as unknown as Patchable & { sendWindowUpdate?: () => void }
const sendWindowUpdate = yamuxProto.sendWindowUpdate
if (typeof sendWindowUpdate === 'function' && yamuxProto.__accordPatched !== true) {
  yamuxProto.__accordPatched = true
  yamuxProto.sendWindowUpdate = function (this: WindowFields) {
    if (this.state === StreamState.Established && typeof this.recvWindow === 'number' &&
      typeof this.recvWindowCapacity === 'number' && this.recvWindowCapacity > this.recvWindow / 2) return
    sendWindowUpdate.call(this)
  }
}

type LengthDecoder = ((data: { byteLength: number }) => number) & { __quiet?: boolean }
interface DecoderFields { lengthDecoder?: LengthDecoder }

const decoderProto = LengthPrefixedDecoder.prototype as unknown as Patchable & { decode?: (buf: unknown) => Generator<unknown> }
const decode = decoderProto.decode
if (typeof decode === 'function' && decoderProto.__accordPatched !== true) {
  decoderProto.__accordPatched = true
  decoderProto.decode = function (this: DecoderFields, buf: unknown) {
    const inner = this.lengthDecoder
    if (typeof inner === 'function' && inner.__quiet !== true) {
      const quiet: LengthDecoder = data => data.byteLength === 0 ? 0 : inner(data)
      quiet.__quiet = true
      this.lengthDecoder = quiet
    }
    return decode.call(this, buf)
  }
}

/**
 * Corked only below Node's socket high-water mark (16 KiB): a corked write over it answers
 * "wait for drain" even though uncork writes it at once, and catch-up sync then paused every
 * 16 KiB (three times slower). Gossip sends are ~1 KiB; larger sends go out as before.
 */
const CORK_BELOW_BYTES = 16 * 1024

interface TcpConnection { socket?: { cork?: () => void, uncork?: () => void }, writeBuffer?: { byteLength: number } }

const connectionProto = AbstractMultiaddrConnection.prototype as unknown as Patchable & { processSendQueue?: () => boolean }
const processSendQueue = connectionProto.processSendQueue
if (typeof processSendQueue === 'function' && connectionProto.__accordPatched !== true) {
  connectionProto.__accordPatched = true
  connectionProto.processSendQueue = function (this: TcpConnection) {
    const socket = this.socket
    const queued = this.writeBuffer?.byteLength ?? Number.POSITIVE_INFINITY
    if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function' || queued >= CORK_BELOW_BYTES) return processSendQueue.call(this)
    socket.cork()
    try {
      return processSendQueue.call(this)
    } finally {
      socket.uncork()
    }
  }
}

/** Which of the fixes are in force. */
export function patchesInForce (): { halfWindowUpdates: boolean, quietFrameDecoder: boolean, oneWritePerFrame: boolean } {
  return {
    halfWindowUpdates: yamuxProto.__accordPatched === true && yamuxProto.sendWindowUpdate !== sendWindowUpdate,
    quietFrameDecoder: decoderProto.__accordPatched === true && decoderProto.decode !== decode,
    oneWritePerFrame: connectionProto.__accordPatched === true && connectionProto.processSendQueue !== processSendQueue
  }
}
