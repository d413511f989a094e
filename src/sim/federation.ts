/**
 * A drill's federation, made in memory: every member's key from a deterministic seed (so a
 * drill is reproducible and a member's second story can be signed for an `equivocate` step),
 * the charter's roster of founding members, and the charter's settings. Nothing is written to
 * disk except each node's records.
 */
import { createHash } from 'node:crypto'
import { Roster, SigningKey, type FederationSettings } from '../records/index.ts'
import { memberPeerId } from '../net/index.ts'
import type { DrillMember } from './scenario-check.ts'

/** A deterministic seed per member id (drills only: real members make theirs at random). */
export function drillSeed (id: string, domain = 'accord-drill-key'): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`${domain}:${id}`).digest())
}

export interface MemberCard { id: string, name: string, publicKey: string, peerId: string }

export class DrillFederation {
  readonly members: DrillMember[]
  readonly settings: FederationSettings
  /** The charter's founders: who the nodes start believing in. */
  readonly roster: Roster
  readonly #byId: Map<string, DrillMember>
  readonly #keys = new Map<string, SigningKey>()

  constructor (members: DrillMember[], settings: FederationSettings) {
    this.members = members
    this.settings = settings
    this.#byId = new Map(members.map(m => [m.id, m]))
    this.roster = new Roster(members.filter(m => m.founder).map(m => ({ id: m.id, name: m.name, publicKey: this.key(m.id).publicKeyB64 })))
  }

  get ids (): string[] { return this.members.map(m => m.id) }
  get founders (): string[] { return this.members.filter(m => m.founder).map(m => m.id) }
  member (id: string): DrillMember | undefined { return this.#byId.get(id) }
  region (id: string): string { return this.#byId.get(id)?.region ?? 'unknown' }
  regions (): string[] { return [...new Set(this.members.map(m => m.region))].sort() }

  key (id: string): SigningKey {
    let key = this.#keys.get(id)
    if (key == null) this.#keys.set(id, key = new SigningKey(drillSeed(id)))
    return key
  }

  /** A key no roster lists: what an outsider forges with. */
  outsiderKey (id: string): SigningKey { return new SigningKey(drillSeed(id, 'accord-drill-outsider')) }

  peerId (id: string): string { return memberPeerId({ publicKey: this.key(id).publicKeyB64 }) }

  /** The member id behind a libp2p peer id, if it is one of the drill's members. */
  memberOfPeer (peer: string): string | undefined { return this.ids.find(id => this.peerId(id) === peer) }

  /** The card a `propose … admit` carries for a joining member. */
  card (id: string): MemberCard {
    const m = this.#byId.get(id)
    return { id, name: m?.name ?? id, publicKey: this.key(id).publicKeyB64, peerId: this.peerId(id) }
  }
}
