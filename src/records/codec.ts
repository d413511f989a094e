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

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * The first place in `value` that canonical JSON cannot carry, said as `<path> <why>`: numbers
 * that are not finite (JSON has no Infinity or NaN) and strings with a lone UTF-16 surrogate
 * (not Unicode text). Undefined when every part can be encoded.
 */
export function unencodable (value: unknown, path: string): { field: string, why: string } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { field: path, why: 'must be a finite number' }
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? { field: path, why: 'contains a lone UTF-16 surrogate, which is not Unicode text' } : undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) { const found = unencodable(value[i], `${path}[${i}]`); if (found != null) return found }
    return undefined
  }
  if (value != null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (LONE_SURROGATE.test(k)) return { field: path, why: 'has a key with a lone UTF-16 surrogate, which is not Unicode text' }
      const found = unencodable(v, `${path}.${k}`)
      if (found != null) return found
    }
  }
  return undefined
}

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

const SIG_FIELD = encoder.encode(',"sig":"')
const SIG_FIELD_LENGTH = SIG_FIELD.length + 86 + 1

/**
 * The signing payload of a record already known to be canonical, cut from its bytes: in
 * RFC 8785 key order `sig` sits between `seq` and `time`, so removing `,"sig":"…"` leaves
 * exactly the canonical encoding of the unsigned record, without encoding it again.
 */
export function signingPayloadOf (bytes: Uint8Array): Uint8Array {
  const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).lastIndexOf(SIG_FIELD)
  if (at < 0) throw new TypeError('record has no sig field')
  const out = new Uint8Array(SIGNING_DOMAIN.length + bytes.length - SIG_FIELD_LENGTH)
  out.set(SIGNING_DOMAIN, 0)
  out.set(bytes.subarray(0, at), SIGNING_DOMAIN.length)
  out.set(bytes.subarray(at + SIG_FIELD_LENGTH), SIGNING_DOMAIN.length + at)
  return out
}

/**
 * Whether `text` is the RFC 8785 form of `value` (parsed from it). RFC 8785 serialises
 * primitives exactly as ECMAScript's JSON.stringify and orders object keys by UTF-16 code
 * units; JSON.parse keeps the text's key order. So the text is canonical iff every object's
 * keys are already sorted and native JSON.stringify reproduces the text. This is the same
 * answer as re-encoding with `canonicalize` and comparing, at a fraction of the cost.
 */
export function isCanonical (text: string, value: unknown): boolean {
  return keysSorted(value) && JSON.stringify(value) === text
}

function keysSorted (value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true
  if (Array.isArray(value)) return value.every(keysSorted)
  let previous: string | undefined
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false
    previous = key
    if (!keysSorted((value as Record<string, unknown>)[key])) return false
  }
  return true
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
  let text: string
  try {
    text = decoder.decode(bytes)
    value = JSON.parse(text)
  } catch (err) {
    throw reject(RejectCode.MALFORMED, `record is not UTF-8 JSON: ${(err as Error).message}`)
  }
  const problem = checkEnvelope(value)
  if (problem != null) throw reject(RejectCode.MALFORMED, `envelope: ${problem.message}`, problem.field)
  if (!isCanonical(text, value)) {
    throw reject(RejectCode.MALFORMED, 'record is not in canonical (RFC 8785) form')
  }
  return value as SignedRecord
}
