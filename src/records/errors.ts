/**
 * The verdicts of the one validator, and the typed error that carries them.
 *
 * - reject: the sender is at fault (gossip penalises it, the API answers 400).
 * - ignore: nobody's fault (already held, or a chain frozen by an equivocation).
 * - pending: a gap before this record; kept until the gap fills.
 * - equivocation: a second signed record at a held (origin, seq): kept as proof.
 */
export type Verdict = 'accept' | 'reject' | 'ignore' | 'pending' | 'equivocation'

export const RejectCode = {
  MALFORMED: 'malformed',
  OVERSIZED: 'oversized',
  UNKNOWN_KIND: 'unknown-kind',
  SCHEMA: 'schema',
  NOT_MEMBER: 'not-member',
  BAD_SIGNATURE: 'bad-signature',
  WRONG_PREV: 'wrong-prev',
  NOT_OWNER: 'not-owner',
  CONFLICT: 'conflict',
  /** A model shut down or decommissioned cannot be resumed or redeployed. */
  TERMINATED: 'terminated',
  /** The red line named is not in the federation's catalogue. */
  UNKNOWN_REDLINE: 'unknown-redline'
} as const

export const IgnoreCode = {
  DUPLICATE: 'duplicate',
  CHAIN_FROZEN: 'chain-frozen'
} as const

export const OtherCode = {
  ACCEPTED: 'accepted',
  GAP: 'gap',
  EQUIVOCATION: 'equivocation',
  PENDING_FULL: 'pending-full'
} as const

export type RejectCodeValue = typeof RejectCode[keyof typeof RejectCode]
export type VerdictCode = RejectCodeValue | typeof IgnoreCode[keyof typeof IgnoreCode] | typeof OtherCode[keyof typeof OtherCode]

/** Thrown by the validator's steps; `field` names the offending field when there is one. */
export class RecordError extends Error {
  static override name = 'RecordError'
  readonly verdict: Verdict
  readonly code: VerdictCode
  readonly field?: string

  constructor (verdict: Verdict, code: VerdictCode, message: string, field?: string) {
    super(message)
    this.name = 'RecordError'
    this.verdict = verdict
    this.code = code
    if (field != null) this.field = field
  }
}

export function reject (code: RejectCodeValue, message: string, field?: string): RecordError {
  return new RecordError('reject', code, message, field)
}
