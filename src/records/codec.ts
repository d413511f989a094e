/**
 * The record envelope and its canonical encoding.
 *
 * A record travels as the RFC 8785 canonical JSON of `{v, origin, seq, prev, time, kind, body, sig}`.
 * Its id is SHA-256 of exactly those bytes, and the signature covers
 * `DOMAIN || canonical({v, origin, seq, prev, time, kind, body})`, so no other protocol's
 * signature can ever be replayed as a record's and no re-serialisation is ever trusted:
 * bytes that are not already canonical are refused.
 */
import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { Type, type Static } from '@sinclair/typebox'
import { compile } from './schema.ts'
import { reject, RejectCode } from './errors.ts'

export const RECORD_VERSION = 1
/** Records are small statements; anything larger is refused before it is parsed. */
export const MAX_RECORD_BYTES = 64 * 1024
export const SIGNING_DOMAIN = new TextEncoder().encode('accord-record-v1\n')

export const MemberId = Type.String({ pattern: '^[A-Z][A-Z0-9-]{1,15}$', description: 'member id, e.g. an ISO 3166 alpha-2 code' })
const Hash = Type.String({ pattern: '^[0-9a-f]{64}$' })

export const Envelope = Type.Object({
  v: Type.Literal(RECORD_VERSION),
  origin: MemberId,
  seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  prev: Type.Union([Hash, Type.Null()]),
  time: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  kind: Type.String({ minLength: 1, maxLength: 64 }),
  body: Type.Object({}, { additionalProperties: true }),
  sig: Type.String({ pattern: '^[A-Za-z0-9_-]{86}$', description: 'Ed25519 signature, base64url' })
}, { additionalProperties: false })

export type SignedRecord = Static<typeof Envelope>
export type UnsignedRecord = Omit<SignedRecord, 'sig'>

const checkEnvelope = compile(Envelope)
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function canonicalBytes (value: unknown): Uint8Array {
  const text = canonicalize(value)
  if (text == null) throw new TypeError('value cannot be canonicalised')
  return encoder.encode(text)
}

export function signingPayload (record: UnsignedRecord): Uint8Array {
  const bytes = canonicalBytes({ v: record.v, origin: record.origin, seq: record.seq, prev: record.prev, time: record.time, kind: record.kind, body: record.body })
  const out = new Uint8Array(SIGNING_DOMAIN.length + bytes.length)
  out.set(SIGNING_DOMAIN, 0)
  out.set(bytes, SIGNING_DOMAIN.length)
  return out
}

export function recordId (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0
}

/**
 * Bytes → envelope, refusing anything oversized, unparseable, outside the envelope schema or
 * not in canonical form. The body is checked later, by its kind's schema.
 */
export function decodeRecord (bytes: Uint8Array): SignedRecord {
  if (bytes.length > MAX_RECORD_BYTES) {
    throw reject(RejectCode.OVERSIZED, `record is ${bytes.length} bytes; the limit is ${MAX_RECORD_BYTES}`)
  }
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch (err) {
    throw reject(RejectCode.MALFORMED, `record is not UTF-8 JSON: ${(err as Error).message}`)
  }
  const problem = checkEnvelope(value)
  if (problem != null) throw reject(RejectCode.MALFORMED, `envelope: ${problem.message}`, problem.field)
  if (!sameBytes(canonicalBytes(value), bytes)) {
    throw reject(RejectCode.MALFORMED, 'record is not in canonical (RFC 8785) form')
  }
  return value as SignedRecord
}
