import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { Member } from '../records/index.ts'

const cache = new Map<string, string>()

/** A member's libp2p peer id: its Ed25519 record-signing key is also its network identity. */
export function memberPeerId (member: Pick<Member, 'publicKey'>): string {
  let id = cache.get(member.publicKey)
  if (id == null) {
    id = peerIdFromPublicKey(publicKeyFromRaw(Buffer.from(member.publicKey, 'base64url'))).toString()
    cache.set(member.publicKey, id)
  }
  return id
}
