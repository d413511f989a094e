/**
 * Prometheus metrics of one node, in its own registry (libp2p's metrics join the same one).
 */
import { Counter, Gauge, Registry } from 'prom-client'
import type { Admission, HeldRecord } from '../records/index.ts'
import { idleGcStats } from './idle-gc.ts'

export class NodeMetrics {
  readonly registry = new Registry()
  readonly accepted = new Counter({ name: 'accord_records_accepted_total', help: 'Records accepted, by kind', labelNames: ['kind'], registers: [this.registry] })
  readonly refused = new Counter({ name: 'accord_records_refused_total', help: 'Records not accepted, by verdict and code', labelNames: ['verdict', 'code'], registers: [this.registry] })
  readonly syncRounds = new Counter({ name: 'accord_sync_rounds_total', help: 'Completed sync rounds', labelNames: ['direction'], registers: [this.registry] })
  readonly syncFetched = new Counter({ name: 'accord_sync_records_fetched_total', help: 'Records accepted through sync', registers: [this.registry] })
  readonly syncFailures = new Counter({ name: 'accord_sync_failures_total', help: 'Sync rounds that failed', registers: [this.registry] })
  readonly gossipDeliveries = new Counter({ name: 'accord_gossip_deliveries_total', help: 'Records accepted from gossip', registers: [this.registry] })
  readonly equivocations = new Counter({ name: 'accord_equivocations_total', help: 'Equivocation proofs seen', registers: [this.registry] })
  readonly peers = new Gauge({ name: 'accord_peers_connected', help: 'Members with an open connection', registers: [this.registry] })
  readonly storeBytes = new Gauge({ name: 'accord_store_bytes', help: 'Size of the records database', registers: [this.registry] })
  readonly records = new Gauge({ name: 'accord_records_held', help: 'Records held (chains and proofs)', registers: [this.registry] })
  readonly pending = new Gauge({ name: 'accord_records_pending', help: 'Records waiting for a gap to fill', registers: [this.registry] })
  readonly idleCollections = new Gauge({
    name: 'accord_idle_gc_collections',
    help: 'Young-generation collections run at quiet moments between records, in this process (see src/node/idle-gc.ts)',
    registers: [this.registry],
    collect () { this.set(idleGcStats()?.collections ?? 0) }
  })

  record (record: HeldRecord): void { this.accepted.inc({ kind: record.kind }) }

  verdict (admission: Admission): void {
    if (admission.verdict !== 'accept') this.refused.inc({ verdict: admission.verdict, code: admission.code })
  }
}
