/**
 * Which of a node's addresses another host can use. A node listening on 0.0.0.0 listens on
 * 127.0.0.1 too, and libp2p announces both. Elsewhere, 127.0.0.1 is the other host's own
 * loopback: each member that learnt it kept it (address book, sync hellos) and dialled it
 * whenever the member was unreachable, reaching itself or whatever listened on that port there
 * (seen in a walk with each node in its own network namespace). So loopback and unspecified
 * addresses are announced, shared and learnt only by nodes that have nothing else (a federation
 * on one machine: the demo, tests, drills).
 */

/** 127.0.0.0/8, ::1, 0.0.0.0 and :: — meaningful on this host only. */
export function isHostLocal (addr: string): boolean {
  return /^\/ip4\/(127\.|0\.0\.0\.0\/)/.test(addr) || /^\/ip6\/(::1?|0:0:0:0:0:0:0:[01])\//.test(addr)
}

/**
 * Which of other members' addresses this node keeps and passes on, given its own: all of them on
 * a federation of one machine (its own addresses are all host-local), else those another host can
 * use. One test for the address book, the sync hellos it sends and those it learns from.
 */
export function peerAddressFilter (own: Array<{ toString: () => string }>): (addr: string) => boolean {
  const oneMachine = own.every(a => isHostLocal(a.toString()))
  return addr => oneMachine || !isHostLocal(addr)
}

/** The addresses of `addrs` another host can reach, or all of them if none is (one machine). */
export function reachableFromElsewhere<A extends { toString: () => string }> (addrs: A[]): A[] {
  const kept = addrs.filter(a => !isHostLocal(a.toString()))
  return kept.length > 0 ? kept : addrs
}

/** 127.0.0.0/8 and ::1: a node listening only there cannot be dialled from another host. */
export function isLoopback (addr: string): boolean {
  return /^\/ip4\/127\./.test(addr) || /^\/ip6\/(::1|0:0:0:0:0:0:0:1)\//.test(addr)
}
