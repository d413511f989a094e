/**
 * The one validator: gossip, sync and the HTTP API all admit records through `validate`, so the
 * doors cannot drift. It is pure: it reads the roster and what the ledger holds, and says what
 * to do with the bytes; storing and folding is the ledger's job.
 *
 * Checks run cheapest first: size, already-held (a hash lookup, before any cryptography),
 * envelope and body schemas, membership, frozen chain, signature, chain position, ownership.
 */
import { decodeRecord, recordId, signingPayloadOf, MAX_RECORD_BYTES, type SignedRecord } from './codec.ts'
import { IgnoreCode, OtherCode, RecordError, reject, RejectCode, type Verdict, type VerdictCode } from './errors.ts'
import { verifySignature } from './keys.ts'
import { kindOf } from './kinds/index.ts'
import type { HeldRecord } from './held.ts'
import { isVoid, type Roster } from './roster.ts'
import type { State } from './state.ts'

/** How far a body's "already happened" time may run ahead of its record's own time (the two clocks may differ). */
export const CLOCK_SKEW_MS = 3_600_000

/** The tip of one origin's chain as held: its last in-chain seq and that record's id. */
export interface ChainTip { seq: number, head: string, frozenAt?: number }

/** What the validator needs to know about what a node holds. */
export interface LedgerView {
  readonly state: State
  has: (id: string) => boolean
  tip: (origin: string) => ChainTip | undefined
  idAt: (origin: string, seq: number) => string | undefined
}

export interface Admission {
  verdict: Verdict
  code: VerdictCode
  message: string
  field?: string
  id?: string
  record?: HeldRecord
  /** pending: the seqs missing before this record, [from, to] inclusive. */
  gap?: { origin: string, from: number, to: number }
  /** equivocation: the id of the held record at the same (origin, seq). */
  conflictsWith?: string
}

/**
 * Work already done on these bytes elsewhere (a batch decoded them and verified their signature
 * on another core); the checks themselves are the same.
 */
export interface Prepared { id: string, envelope: SignedRecord, signatureValid: boolean, publicKey: string }

export function validate (bytes: Uint8Array, roster: Roster, view: LedgerView, prepared?: Prepared): Admission {
  try {
    return check(bytes, roster, view, prepared)
  } catch (err) {
    if (err instanceof RecordError) return admissionOf(err)
    throw err
  }
}

/** The verdict a validator step's error stands for. */
export function admissionOf (err: RecordError): Admission {
  return { verdict: err.verdict, code: err.code, message: err.message, ...(err.field != null ? { field: err.field } : {}) }
}

function check (bytes: Uint8Array, roster: Roster, view: LedgerView, prepared?: Prepared): Admission {
  if (bytes.length > MAX_RECORD_BYTES) {
    throw reject(RejectCode.OVERSIZED, `record is ${bytes.length} bytes; the limit is ${MAX_RECORD_BYTES}`)
  }
  const id = prepared?.id ?? recordId(bytes)
  if (view.has(id)) return { verdict: 'ignore', code: IgnoreCode.DUPLICATE, message: 'already held', id }

  const envelope = prepared?.envelope ?? decodeRecord(bytes)
  const kind = kindOf(envelope.kind)
  if (kind == null) throw reject(RejectCode.UNKNOWN_KIND, `unknown record kind "${envelope.kind}"`, 'kind')
  const problem = kind.check(envelope.body)
  if (problem != null) throw reject(RejectCode.SCHEMA, problem.message, problem.field)
  for (const field of kind.kind.pastTimes ?? []) {
    const at = (envelope.body as Record<string, unknown>)[field]
    if (typeof at === 'number' && at > envelope.time + CLOCK_SKEW_MS) {
      throw reject(RejectCode.SCHEMA, `body.${field} (${new Date(at).toISOString()}) is after the record's own time (${new Date(envelope.time).toISOString()}): a record says what has already happened`, `body.${field}`)
    }
  }

  const member = roster.get(envelope.origin)
  if (member == null) throw reject(RejectCode.NOT_MEMBER, `${envelope.origin} is not a member of the federation`, 'origin')

  const tip = view.tip(envelope.origin)
  const record: HeldRecord = { ...envelope, id }
  if (tip?.frozenAt != null && envelope.seq >= tip.frozenAt) {
    return { verdict: 'ignore', code: IgnoreCode.CHAIN_FROZEN, message: `${envelope.origin}'s chain is frozen at seq ${tip.frozenAt} by an equivocation`, id }
  }

  // A signature verified ahead counts only if it was verified with this member's key.
  const verified = prepared != null && prepared.publicKey === member.publicKey
    ? prepared.signatureValid
    : verifySignature(member.publicKey, signingPayloadOf(bytes), Buffer.from(envelope.sig, 'base64url'))
  if (!verified) {
    throw reject(RejectCode.BAD_SIGNATURE, `signature does not verify with ${envelope.origin}'s key`, 'sig')
  }

  const held = tip?.seq ?? 0
  if (envelope.seq <= held) {
    const other = view.idAt(envelope.origin, envelope.seq)
    return {
      verdict: 'equivocation',
      code: OtherCode.EQUIVOCATION,
      message: `${envelope.origin} signed two different records at seq ${envelope.seq}`,
      id,
      record,
      ...(other != null ? { conflictsWith: other } : {})
    }
  }
  if (envelope.seq > held + 1) {
    return { verdict: 'pending', code: OtherCode.GAP, message: `missing ${envelope.origin} seq ${held + 1}..${envelope.seq - 1}`, id, record, gap: { origin: envelope.origin, from: held + 1, to: envelope.seq - 1 } }
  }
  const expectedPrev = tip?.head ?? null
  if (envelope.prev !== expectedPrev) {
    throw reject(RejectCode.WRONG_PREV, `prev should be ${expectedPrev ?? 'null'} (the id of ${envelope.origin} seq ${held})`, 'prev')
  }
  // A removed member's record past its last valid seq is held but void (see `isVoid`): nothing
  // to authorise, as it changes nothing. Refusing it instead would split the federation between
  // nodes that held it before they applied the removal and nodes that applied the removal first.
  if (isVoid(member, envelope.seq, envelope.kind)) return { verdict: 'accept', code: OtherCode.ACCEPTED, message: `accepted as void: ${envelope.origin} was removed, and only its records up to seq ${member.until ?? 0} count`, id, record }
  kind.kind.authorize?.(envelope.body, envelope.origin, view.state)
  return { verdict: 'accept', code: OtherCode.ACCEPTED, message: 'accepted', id, record }
}
