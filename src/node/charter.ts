/**
 * The federation's charter (DESIGN.md: the genesis roster): its founding members' cards and the
 * federation's settings, valid only when every founder has signed it. Each signature is Ed25519
 * over `accord-charter-v1\n || canonical JSON of everything but the signatures`, so adding or
 * changing anything after signing voids every signature.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { Type, type Static } from '@sinclair/typebox'
import { canonicalBytes, Roster, verifySignature, type SigningKey } from '../records/index.ts'
import { compile } from '../records/schema.ts'
import { memberPeerId } from '../net/peer-ids.ts'
import { DEFAULT_SETTINGS, Settings } from '../records/settings.ts'

const DOMAIN = new TextEncoder().encode('accord-charter-v1\n')

const Card = Type.Object({
  id: Type.String({ pattern: '^[A-Z][A-Z0-9-]{1,15}$' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  publicKey: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
  peerId: Type.String({ minLength: 1 })
}, { additionalProperties: false })

export const CharterSchema = Type.Object({
  v: Type.Literal(1),
  federation: Type.String({ minLength: 1, maxLength: 200 }),
  createdAt: Type.Integer({ minimum: 0 }),
  members: Type.Array(Card, { minItems: 1, maxItems: 500 }),
  settings: Settings,
  signatures: Type.Record(Type.String(), Type.String({ pattern: '^[A-Za-z0-9_-]{86}$' }))
}, { additionalProperties: false })

export type Charter = Static<typeof CharterSchema>
const checkCharter = compile(CharterSchema)

export class CharterError extends Error {
  static override name = 'CharterError'
  readonly field?: string
  constructor (message: string, field?: string) {
    super(message)
    this.name = 'CharterError'
    if (field != null) this.field = field
  }
}

export function createCharter (cards: Charter['members'], federation = 'Accord federation', settings = DEFAULT_SETTINGS): Charter {
  const ids = new Set<string>()
  for (const card of cards) {
    if (ids.has(card.id)) throw new CharterError(`member ${card.id} is listed twice`, 'members')
    ids.add(card.id)
  }
  const charter: Charter = { v: 1, federation, createdAt: Date.now(), members: [...cards].sort((a, b) => a.id.localeCompare(b.id)), settings, signatures: {} }
  checkShape(charter)
  return charter
}

function payload (charter: Charter): Uint8Array {
  const { signatures: _s, ...unsigned } = charter
  const bytes = canonicalBytes(unsigned)
  const out = new Uint8Array(DOMAIN.length + bytes.length)
  out.set(DOMAIN); out.set(bytes, DOMAIN.length)
  return out
}

function checkShape (value: unknown): asserts value is Charter {
  const problem = checkCharter(value)
  if (problem != null) throw new CharterError(`charter: ${problem.message}`, problem.field)
  for (const [i, card] of (value as Charter).members.entries()) {
    if (memberPeerId(card) !== card.peerId) throw new CharterError(`charter: members.${i}.peerId does not match its public key`, `members.${i}.peerId`)
  }
}

export function signCharter (charter: Charter, memberId: string, key: SigningKey): Charter {
  const card = charter.members.find(m => m.id === memberId)
  if (card == null) throw new CharterError(`${memberId} is not a founder listed in this charter`)
  if (card.publicKey !== key.publicKeyB64) throw new CharterError(`the key in this data directory is not the one the charter lists for ${memberId}`)
  const sig = Buffer.from(key.sign(payload(charter))).toString('base64url')
  return { ...charter, signatures: { ...charter.signatures, [memberId]: sig } }
}

export interface CharterStatus { valid: boolean, signed: string[], missing: string[], invalid: string[] }

export function charterStatus (charter: Charter): CharterStatus {
  const bytes = payload(charter)
  const signed: string[] = []; const missing: string[] = []; const invalid: string[] = []
  for (const m of charter.members) {
    const sig = charter.signatures[m.id]
    if (sig == null) missing.push(m.id)
    else if (verifySignature(m.publicKey, bytes, Buffer.from(sig, 'base64url'))) signed.push(m.id)
    else invalid.push(m.id)
  }
  for (const id of Object.keys(charter.signatures)) if (!charter.members.some(m => m.id === id)) invalid.push(id)
  return { valid: missing.length === 0 && invalid.length === 0, signed, missing, invalid }
}

/** Reads and checks a charter; throws a CharterError saying what is wrong. */
export function readCharter (path: string, opts: { requireSigned?: boolean } = {}): Charter {
  let value: unknown
  try {
    value = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new CharterError(`cannot read charter ${path}: ${(err as Error).message}`)
  }
  checkShape(value)
  if (opts.requireSigned !== false) {
    const status = charterStatus(value)
    if (status.invalid.length > 0) throw new CharterError(`charter ${path} is tampered or mis-signed: signatures of ${status.invalid.join(', ')} do not verify`, 'signatures')
    if (status.missing.length > 0) throw new CharterError(`charter ${path} is not signed by every founder: missing ${status.missing.join(', ')}`, 'signatures')
  }
  return value
}

export function writeCharter (path: string, charter: Charter): void {
  writeFileSync(path, JSON.stringify(charter, null, 2) + '\n')
}

export function rosterOf (charter: Charter): Roster {
  return new Roster(charter.members.map(m => ({ id: m.id, name: m.name, publicKey: m.publicKey })))
}
