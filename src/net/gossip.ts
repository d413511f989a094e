/**
 * Gossip of records on one topic. Every inbound message goes through the ledger's one
 * validator before gossipsub forwards it, and the verdict maps onto gossipsub's:
 *   accept → Accept (forwarded; committed to disk within 100 ms, see Ledger.admitSoon)
 *   reject → Reject (not forwarded; gossipsub lowers the sender's score)
 *   ignore (already held, frozen chain) → Ignore
 *   pending (a gap before it) → Ignore, and ask the sender for a sync
 *   equivocation → Ignore; the ledger kept the proof and raised the alarm
 *   reject as not-member → Ignore and sync: the forwarder accepted it, so it may hold
 *     membership votes we lack (a newly admitted member); outsiders cannot connect anyway
 */
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { Ledger } from '../store/ledger.ts'
import type { Admission } from '../records/index.ts'
import type { AccordLibp2p } from './libp2p-node.ts'
import { RECORDS_TOPIC } from './options.ts'

export interface GossipHooks {
  /** A record arrived ahead of a gap from `peer`: fetch the gap from it. */
  onGap?: (peer: string) => void
  /** Every verdict, for metrics and flood alarms. */
  onVerdict?: (admission: Admission, peer: string) => void
}

export function toGossipResult (admission: Admission): TopicValidatorResult {
  switch (admission.verdict) {
    case 'accept': return TopicValidatorResult.Accept
    case 'reject': return TopicValidatorResult.Reject
    default: return TopicValidatorResult.Ignore
  }
}

export class RecordGossip {
  readonly #libp2p: AccordLibp2p
  readonly #ledger: Ledger
  readonly #hooks: GossipHooks
  delivered = 0

  constructor (libp2p: AccordLibp2p, ledger: Ledger, hooks: GossipHooks = {}) {
    this.#libp2p = libp2p
    this.#ledger = ledger
    this.#hooks = hooks
  }

  start (): void {
    const pubsub = this.#libp2p.services.pubsub
    pubsub.topicValidators.set(RECORDS_TOPIC, async (peer: PeerId, msg: Message) => {
      // Committed just after gossipsub forwards it (see Ledger.admitSoon).
      const admission = this.#ledger.admitSoon(msg.data)
      const from = peer.toString()
      if (admission.verdict === 'accept') this.delivered++
      if (admission.verdict === 'pending') this.#hooks.onGap?.(from)
      this.#hooks.onVerdict?.(admission, from)
      if (admission.verdict === 'reject' && admission.code === 'not-member') {
        this.#hooks.onGap?.(from)
        return TopicValidatorResult.Ignore
      }
      return toGossipResult(admission)
    })
    pubsub.subscribe(RECORDS_TOPIC)
  }

  stop (): void {
    const pubsub = this.#libp2p.services.pubsub
    pubsub.topicValidators.delete(RECORDS_TOPIC)
  }

  /** Publishes a record already durably stored; with no peers yet, sync delivers it later. */
  async publish (bytes: Uint8Array): Promise<number> {
    const { recipients } = await this.#libp2p.services.pubsub.publish(RECORDS_TOPIC, bytes)
    return recipients.length
  }

  score (peer: string): number {
    return this.#libp2p.services.pubsub.getScore(peer)
  }

  meshPeers (): string[] {
    return this.#libp2p.services.pubsub.getMeshPeers(RECORDS_TOPIC)
  }
}
