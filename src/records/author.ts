import { canonicalBytes, recordId, signingPayload, RECORD_VERSION, type SignedRecord, type UnsignedRecord } from './codec.ts'
import type { SigningKey } from './keys.ts'
import type { HeldRecord } from './held.ts'
import type { ChainTip } from './validate.ts'

export interface Authored { record: HeldRecord, bytes: Uint8Array }

/** Makes and signs the next record of `origin`'s chain after `tip`. */
export function authorRecord (key: SigningKey, origin: string, tip: ChainTip | undefined, kind: string, body: object, time = Date.now()): Authored {
  const unsigned: UnsignedRecord = { v: RECORD_VERSION, origin, seq: (tip?.seq ?? 0) + 1, prev: tip?.head ?? null, time, kind, body: body as Record<string, unknown> }
  const signed: SignedRecord = { ...unsigned, sig: Buffer.from(key.sign(signingPayload(unsigned))).toString('base64url') }
  const bytes = canonicalBytes(signed)
  return { record: { ...signed, id: recordId(bytes) }, bytes }
}
