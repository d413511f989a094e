/** A bare libp2p node on 127.0.0.1 (TCP, Noise, Yamux, no monitor) for tests of the transport itself. */
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import type { sodiumNoiseCrypto } from '../../src/net/noise-cipher.ts'

/** `crypto`: Noise's cipher suite; stock Noise when absent. */
export async function plainNode (crypto?: typeof sodiumNoiseCrypto): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [crypto != null ? noise({ crypto }) : noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false }
  })
}
