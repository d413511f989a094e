/**
 * The member's key, made on first start in its data directory and never anywhere else.
 * `member.key` (mode 0600) holds the 32-byte Ed25519 seed, base64url, with the member id.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SigningKey } from '../records/index.ts'
import { memberPeerId } from '../net/peer-ids.ts'

export const KEY_FILE = 'member.key'

export interface KeyFile { id: string, name: string, seed: string }

export class KeyError extends Error {
  static override name = 'KeyError'
  constructor (message: string) { super(message); this.name = 'KeyError' }
}

/** A member's public card: what the charter lists and other members see. */
export interface MemberCard { id: string, name: string, publicKey: string, peerId: string }

export function cardOf (id: string, name: string, key: SigningKey): MemberCard {
  return { id, name, publicKey: key.publicKeyB64, peerId: memberPeerId({ publicKey: key.publicKeyB64 }) }
}

/** Makes the member's key in `dir` (refusing to overwrite one) and returns its card. */
export function createKey (dir: string, id: string, name: string): MemberCard {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, KEY_FILE)
  if (existsSync(path)) throw new KeyError(`${path} already exists; a member keeps one key (delete it only if you mean to become a new member)`)
  const key = SigningKey.generate()
  const file: KeyFile = { id, name, seed: Buffer.from(key.seed).toString('base64url') }
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  chmodSync(path, 0o600)
  return cardOf(id, name, key)
}

export interface LoadedKey { id: string, name: string, key: SigningKey, card: MemberCard }

export function loadKey (dir: string): LoadedKey {
  const path = join(dir, KEY_FILE)
  if (!existsSync(path)) throw new KeyError(`no member key at ${path}: run \`accord init --id <ID> --name <NAME> --data ${dir}\` first`)
  if ((statSync(path).mode & 0o077) !== 0) throw new KeyError(`${path} is readable by others; run chmod 600 ${path}`)
  let file: KeyFile
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile
  } catch (err) {
    throw new KeyError(`${path} is not a valid key file: ${(err as Error).message}`)
  }
  const seed = Buffer.from(file.seed ?? '', 'base64url')
  if (seed.length !== 32 || typeof file.id !== 'string') throw new KeyError(`${path} is not a valid key file`)
  const key = new SigningKey(new Uint8Array(seed))
  return { id: file.id, name: file.name, key, card: cardOf(file.id, file.name, key) }
}
