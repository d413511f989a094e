/**
 * `/accord/status/1.0.0`: one small request, one small answer — the peer's view digest and how
 * many records it holds. Cheaper than a sync round, so the dashboard and `GET /v1/view` can ask
 * every connected member whether it agrees, right now, not as of the last sync.
 */
import { lpStream } from '@libp2p/utils'
import type { Connection, Stream } from '@libp2p/interface'
import type { Ledger } from '../store/ledger.ts'
import type { AccordLibp2p } from './libp2p-node.ts'

export const STATUS_PROTOCOL = '/accord/status/1.0.0'
/** A status answer is a digest and a count: 4 KiB is plenty. */
const MAX_STATUS_BYTES = 4096
/** A member that cannot answer this fast is shown as not answering. */
const STATUS_TIMEOUT_MS = 2_000

export interface PeerStatusAnswer { digest: string, records: number }

export async function serveStatus (libp2p: AccordLibp2p, ledger: Ledger, isMember: (peer: string) => boolean): Promise<void> {
  await libp2p.handle(STATUS_PROTOCOL, async (stream: Stream, connection: Connection) => {
    if (!isMember(connection.remotePeer.toString())) { stream.abort(new Error('members only')); return }
    const lp = lpStream(stream, { maxDataLength: MAX_STATUS_BYTES })
    try {
      const signal = AbortSignal.timeout(STATUS_TIMEOUT_MS)
      await lp.write(new TextEncoder().encode(JSON.stringify({ digest: ledger.digest(), records: ledger.size })), { signal })
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err as Error)
    }
  }, { maxInboundStreams: 8 })
}

export async function askStatus (libp2p: AccordLibp2p, peer: string): Promise<PeerStatusAnswer | undefined> {
  const connection = libp2p.getConnections().find(c => c.remotePeer.toString() === peer && c.status === 'open')
  if (connection == null) return undefined
  const signal = AbortSignal.timeout(STATUS_TIMEOUT_MS)
  let stream: Stream | undefined
  try {
    stream = await connection.newStream(STATUS_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: MAX_STATUS_BYTES })
    const answer = JSON.parse(new TextDecoder().decode((await lp.read({ signal })).subarray())) as PeerStatusAnswer
    await stream.close({ signal })
    return typeof answer.digest === 'string' && typeof answer.records === 'number' ? answer : undefined
  } catch (err) {
    stream?.abort(err as Error)
    return undefined
  }
}
