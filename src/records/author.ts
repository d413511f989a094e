import { canonicalBytes, recordId, signingPayload, unencodable, RECORD_VERSION, type SignedRecord, type UnsignedRecord } from './codec.ts'
import { reject, RejectCode } from './errors.ts'
import type { SigningKey } from './keys.ts'
import type { HeldRecord } from './held.ts'
import type { ChainTip } from './validate.ts'

export interface Authored { record: HeldRecord, bytes: Uint8Array }

/**
 * Makes and signs the next record of `origin`'s chain after `tip`. Throws a reject (a
 * RecordError) if the body holds something canonical JSON cannot carry.
 */
export function authorRecord (key: SigningKey, origin: string, tip: ChainTip | undefined, kind: string, body: object, time = Date.now()): Authored {
  const bad = unencodable(body, 'body')
  if (bad != null) throw reject(RejectCode.SCHEMA, `${bad.field} ${bad.why}`, bad.field)
  const unsigned: UnsignedRecord = { v: RECORD_VERSION, origin, seq: (tip?.seq ?? 0) + 1, prev: tip?.head ?? null, time, kind, body: body as Record<string, unknown> }
  const signed: SignedRecord = { ...unsigned, sig: Buffer.from(key.sign(signingPayload(unsigned))).toString('base64url') }
  const bytes = canonicalBytes(signed)
  return { record: { ...signed, id: recordId(bytes) }, bytes }
}
