/**
 * What the nodes themselves observed, which is what the report measures: for every node, when
 * it first held each record (its 'record' event as it happens, completed from the ledger's own
 * `receivedAt` for anything the event missed), when it first held each equivocation proof, and
 * the governance transitions it raised. All nodes of a drill share this process's clock, so
 * times taken on different nodes compare directly (real members would need synchronised clocks).
 */
import type { AccordNode } from '../node/accord-node.ts'
import type { Transition } from '../node/transitions.ts'
import type { Alarm } from '../node/alarms.ts'

export interface RecordMeta { id: string, kind: string, origin: string, seq: number, time: number }

export class Observations {
  /** node → record id → first held (ms since the epoch). */
  readonly held = new Map<string, Map<string, number>>()
  readonly records = new Map<string, RecordMeta>()
  /** Step labels → the record ids they wrote. */
  readonly labels = new Map<string, string[]>()
  /** node → equivocating origin → when the node first held the proof. */
  readonly forks = new Map<string, Map<string, number>>()
  readonly transitions: Array<{ node: string, at: number, transition: Transition }> = []
  readonly alarms: Array<{ node: string, at: number, alarm: Alarm }> = []

  /** Starts observing a node (call before it starts); returns the function that stops it. */
  attach (node: AccordNode): () => void {
    const held = this.#heldBy(node.id)
    const onRecord = (r: { id: string, kind: string, origin: string, seq: number, time: number }): void => {
      if (!held.has(r.id)) held.set(r.id, Date.now())
      if (!this.records.has(r.id)) this.records.set(r.id, { id: r.id, kind: r.kind, origin: r.origin, seq: r.seq, time: r.time })
    }
    const onFork = (f: { origin: string, ids: [string, string] }): void => {
      let forks = this.forks.get(node.id)
      if (forks == null) this.forks.set(node.id, forks = new Map())
      if (!forks.has(f.origin)) forks.set(f.origin, Date.now())
      for (const id of f.ids) if (!held.has(id)) held.set(id, Date.now())
    }
    const onTransition = (t: Transition): void => { this.transitions.push({ node: node.id, at: Date.now(), transition: t }) }
    const onAlarm = (a: Alarm): void => { this.alarms.push({ node: node.id, at: Date.now(), alarm: a }) }
    node.on('record', onRecord)
    node.on('equivocation', onFork)
    node.on('transition', onTransition)
    node.on('alarm', onAlarm)
    return () => {
      node.off('record', onRecord)
      node.off('equivocation', onFork)
      node.off('transition', onTransition)
      node.off('alarm', onAlarm)
    }
  }

  /** Fills in, from the node's ledger, any record it holds that no event reported. */
  reconcile (node: AccordNode): void {
    const held = this.#heldBy(node.id)
    for (let after = 0; ;) {
      const page = node.ledger.store.list({ after, limit: 1000 })
      if (page.length === 0) return
      for (const r of page) {
        if (!held.has(r.id)) held.set(r.id, r.receivedAt)
        after = r.cursor
      }
    }
  }

  label (label: string, id: string): void {
    const ids = this.labels.get(label) ?? []
    if (!ids.includes(id)) ids.push(id)
    this.labels.set(label, ids)
  }

  firstHeld (node: string, id: string): number | undefined { return this.held.get(node)?.get(id) }

  /** When a record was written: when its origin first held it, else when anyone first did. */
  writtenAt (id: string): number | undefined {
    const origin = this.records.get(id)?.origin
    const own = origin != null ? this.firstHeld(origin, id) : undefined
    if (own != null) return own
    let first: number | undefined
    for (const held of this.held.values()) {
      const t = held.get(id)
      if (t != null && (first == null || t < first)) first = t
    }
    return first
  }

  /** Every record id some node held, as of now. */
  union (nodes: Iterable<string>): Set<string> {
    const out = new Set<string>()
    for (const n of nodes) for (const id of this.held.get(n)?.keys() ?? []) out.add(id)
    return out
  }

  #heldBy (id: string): Map<string, number> {
    let held = this.held.get(id)
    if (held == null) this.held.set(id, held = new Map())
    return held
  }
}
