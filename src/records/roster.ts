/**
 * The federation's members: id → name → Ed25519 public key. The validator asks it who may
 * write; it is data (from the charter, later changed by votes), never a constant.
 */
export interface Member {
  id: string
  name: string
  /** Raw 32-byte Ed25519 public key, base64url. */
  publicKey: string
  /** Set when the member was removed: its records up to this seq stay valid, later ones do not. */
  until?: number
}

export class Roster {
  readonly #members = new Map<string, Member>()

  constructor (members: Iterable<Member> = []) {
    for (const m of members) this.#members.set(m.id, m)
  }

  get (id: string): Member | undefined { return this.#members.get(id) }
  has (id: string): boolean { return this.#members.has(id) }
  /** Whether `id` is a member now (not removed). */
  current (id: string): boolean { const m = this.#members.get(id); return m != null && m.until == null }
  get size (): number { return this.#members.size }
  list (): Member[] { return [...this.#members.values()].sort((a, b) => a.id.localeCompare(b.id)) }
  byPublicKey (publicKey: string): Member | undefined {
    for (const m of this.#members.values()) if (m.publicKey === publicKey) return m
    return undefined
  }
}
