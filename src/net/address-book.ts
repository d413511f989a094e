/**
 * Where members were last heard listening, kept in the node's data directory (`peers.json`).
 *
 * Identify tells a node every member's listen addresses while it runs, but libp2p's peer store
 * lives in memory: after a restart a node knew only its `--bootstrap` addresses, and if those had
 * gone stale (the bootstrap member moved to another port, or is down for the day) it stayed cut
 * off although it had been linked with every other member minutes before. With the book, a
 * restarted node also dials the members where it last saw them. The file is rewritten every
 * minute and at stop (to a temporary file, then renamed, so a crash leaves the old one whole); a
 * missing or unreadable book is no error, only nothing learnt.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { AccordLibp2p } from './libp2p-node.ts'
import { peerAddressFilter } from './addresses.ts'

export const ADDRESS_BOOK_SAVE_MS = 60_000

/** peer id → multiaddrs (strings, without /p2p). */
export type AddressBookFile = Record<string, string[]>

export class AddressBook {
  readonly #file: string
  readonly #libp2p: AccordLibp2p
  readonly #members: () => string[]
  #timer?: NodeJS.Timeout

  /** `members`: the peer ids of the current members other than this node. */
  constructor (file: string, libp2p: AccordLibp2p, members: () => string[]) {
    this.#file = file
    this.#libp2p = libp2p
    this.#members = members
  }

  /** Puts the addresses of the book's members into the peer store (the dialer dials from there); how many members. */
  async load (): Promise<number> {
    let book: AddressBookFile
    try {
      book = JSON.parse(readFileSync(this.#file, 'utf8')) as AddressBookFile
    } catch {
      return 0
    }
    const members = new Set(this.#members())
    let loaded = 0
    for (const [peer, addrs] of Object.entries(book)) {
      if (!members.has(peer) || !Array.isArray(addrs)) continue
      try {
        await this.#libp2p.peerStore.merge(peerIdFromString(peer), { multiaddrs: addrs.map(a => multiaddr(a)) })
        loaded++
      } catch {
        // A damaged entry: skip it.
      }
    }
    return loaded
  }

  /** Writes what the peer store knows of every current member now. */
  async save (): Promise<void> {
    const book: AddressBookFile = {}
    // Another host's loopback address is kept only on a federation of one machine (addresses.ts).
    const keep = peerAddressFilter(this.#libp2p.getMultiaddrs())
    for (const peer of this.#members()) {
      try {
        const known = await this.#libp2p.peerStore.get(peerIdFromString(peer))
        const addrs = known.addresses.map(a => a.multiaddr.toString()).filter(a => !a.includes('/p2p-circuit') && keep(a))
        if (addrs.length > 0) book[peer] = addrs
      } catch {
        // Never seen: nothing to keep.
      }
    }
    try {
      writeFileSync(`${this.#file}.tmp`, JSON.stringify(book, null, 2))
      renameSync(`${this.#file}.tmp`, this.#file)
    } catch {
      // A full or read-only disk: the book is a convenience, the node goes on.
    }
  }

  start (): void {
    this.#timer = setInterval(() => { void this.save() }, ADDRESS_BOOK_SAVE_MS)
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    if (this.#timer != null) clearInterval(this.#timer)
    await this.save()
  }
}
