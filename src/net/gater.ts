/**
 * Members only: a connection gater that refuses any peer whose Noise-authenticated identity is
 * not a roster member (or a configured observer), inbound and outbound. It asks `allowed` on
 * every connection, so roster changes apply at once; `blocked` lets drills cut links; `crossing`
 * keeps one link per pair of members that dial each other at the same moment.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'

export interface GaterInit {
  /** Whether this peer id may connect at all (members and observers). */
  allowed: (peerId: string) => boolean
  /** Peers temporarily cut off (partition drills); checked after `allowed`. */
  blocked?: (peerId: string) => boolean
  /** Told of every peer refused for not being a member (not of drill cuts). */
  refused?: (peerId: string) => void
  /**
   * Whether an inbound link from this peer crosses this node's own dial or link to it, which
   * wins (see Network's `crossing`): the inbound one is turned away, so the pair keeps one link.
   * Asked only of members let in otherwise.
   */
  crossing?: (peerId: string) => boolean
}

export function membersOnlyGater (init: GaterInit): ConnectionGater {
  const deny = (peer: PeerId): boolean => {
    const id = peer.toString()
    if (!init.allowed(id)) {
      init.refused?.(id)
      return true
    }
    return init.blocked?.(id) ?? false
  }
  return {
    denyDialPeer: async (peer) => deny(peer),
    denyInboundEncryptedConnection: async (peer) => deny(peer) || (init.crossing?.(peer.toString()) ?? false),
    denyOutboundEncryptedConnection: async (peer) => deny(peer)
  }
}
