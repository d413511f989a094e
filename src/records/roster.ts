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

/** The kinds that decide membership: never void, so a removal cannot undo what led to it. */
export const GOVERNANCE_KINDS: ReadonlySet<string> = new Set(['member.propose', 'member.vote'])

/**
 * Whether a removed member's record is void: held (so every node holds the same chains,
 * whichever saw the removal first) but folded into nothing. Records past the member's last valid
 * seq are void, except its votes and proposals: those count by the membership in force at the
 * change they bear on (a removed member's vote counts for no later change), so voiding them
 * could undo a change the removal itself came after.
 */
export function isVoid (member: Member | undefined, seq: number, kind: string): boolean {
  return member?.until != null && seq > member.until && !GOVERNANCE_KINDS.has(kind)
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
