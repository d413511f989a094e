/**
 * The thread that moves records first: V8's helper threads yield to it.
 *
 * A node's JavaScript runs on one thread: every record it takes in is decrypted, verified,
 * stored and forwarded there, so any wait of that thread is added to every record in flight.
 * Node also runs V8's helper threads (concurrent garbage-collection marking and sweeping,
 * optimising compiles) and the store's checkpoint worker. Where cores are shared (a small VM,
 * several nodes or other services on one host), a helper that wakes while records are moving
 * takes a core from the main thread for a whole scheduler tick (~4 ms here). Measured with 50
 * nodes in two processes on two cores at 1 record/s: the main threads waited 355 ms per 15 s
 * on the run queue and the record paths had 141–200 stalls of 4–6 ms per run; with this (and
 * each process pinned to a core) 128–175 ms and 54.
 *
 * So the threads that exist when the first node starts, other than the main one, get the
 * lowest CPU priority (nice 19) and, where util-linux's `chrt` is installed, Linux's idle
 * scheduling class (SCHED_IDLE; no privilege needed to lower a thread to it). They still run
 * whenever a core is free; marking that falls behind is finished by V8 on the main thread as
 * usual. Threads made later (the signature verification pool that speeds up catch-up) keep the
 * main thread's priority. Linux only (elsewhere, and where it is not allowed, nothing changes).
 *
 * Why the idle class on top of nice 19: a nice-19 thread still gets picked now and then while
 * the main thread is busy, and then keeps the core for a whole time slice (~3 ms); an idle-class
 * thread is preempted as soon as a normal thread wants the core. Measured with 50 nodes in two
 * processes (three interleaved pairs of 40 s runs): the main threads' time waiting for a core
 * fell from 713–930 ms to 457–738 ms per run (a third less). Start-up pays one `chrt` run per
 * thread, ~40 ms once per process.
 *
 * `ACCORD_HELPER_PRIORITY=keep` leaves every thread as it is: a V8 CPU profile's sampling thread
 * is one of these helpers, and at nice 19 it starves exactly while the main thread is busy, so
 * profiles taken with it lowered understate busy time (the L50 bench sets it when profiling).
 */
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { setPriority } from 'node:os'

/** The lowest priority a thread can ask for on Linux. */
export const HELPER_NICE = 19

let done: number[] | undefined

/**
 * Moves a thread to SCHED_IDLE with `chrt` (Node has no binding for sched_setscheduler);
 * false where `chrt` is missing or refused.
 */
export function idleClass (tid: number): boolean {
  try {
    execFileSync('chrt', ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore', timeout: 2_000 })
    return true
  } catch {
    return false
  }
}

/**
 * Lowers the priority of this process's helper threads, once per process; returns the thread
 * ids it lowered (empty where the platform has no per-thread priorities).
 */
export function yieldHelperThreads (): number[] {
  if (done != null) return done
  done = []
  if (process.env.ACCORD_HELPER_PRIORITY === 'keep') return done
  let tids: number[]
  try {
    tids = readdirSync('/proc/self/task').map(Number).filter(tid => Number.isInteger(tid) && tid !== process.pid)
  } catch {
    return done
  }
  let chrt = true
  for (const tid of tids) {
    try {
      setPriority(tid, HELPER_NICE)
      done.push(tid)
    } catch {
      // Gone meanwhile, or not allowed: the thread keeps its priority.
      continue
    }
    // The first refusal (no chrt here) stops the attempts: nice 19 stays.
    if (chrt) chrt = idleClass(tid)
  }
  return done
}
