/**
 * Ed25519 verification on worker threads, for batches (sync, bulk import): signature checks are
 * nearly all of the cost of admitting a record, and a second core doubles that rate. Gossip,
 * one record at a time, stays on the main thread where latency is lowest.
 */
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'

export interface VerifyItem { key: string, payload: Uint8Array, sig: Uint8Array }

interface Job { resolve: (r: Uint8Array) => void, reject: (e: Error) => void, worker: Worker }

export class VerifyPool {
  readonly #workers: Worker[] = []
  readonly #jobs = new Map<number, Job>()
  /** Jobs in flight per worker: a worker keeps the process alive only while it has work. */
  readonly #busy = new Map<Worker, number>()
  #next = 0
  #turn = 0

  /** @param size worker threads; @default all cores but one, at least one */
  constructor (size = Math.max(1, availableParallelism() - 1)) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./verify-worker.js', import.meta.url))
      worker.on('message', ({ id, results }: { id: number, results: Uint8Array }) => {
        const job = this.#jobs.get(id)
        this.#jobs.delete(id)
        if (job != null) this.#done(job.worker)
        job?.resolve(results)
      })
      worker.on('error', err => { for (const job of this.#jobs.values()) job.reject(err); this.#jobs.clear() })
      worker.unref()
      this.#workers.push(worker)
    }
  }

  get size (): number { return this.#workers.length }

  /** Verifies every item; true where the signature is valid. Work is split across the workers. */
  async verify (items: VerifyItem[]): Promise<boolean[]> {
    if (items.length === 0) return []
    const parts = Math.min(this.#workers.length, Math.ceil(items.length / 16))
    const per = Math.ceil(items.length / parts)
    const chunks = await Promise.all(Array.from({ length: parts }, async (_, p) => await this.#run(items.slice(p * per, (p + 1) * per))))
    return chunks.flatMap(r => [...r].map(x => x === 1))
  }

  async #run (items: VerifyItem[]): Promise<Uint8Array> {
    const id = this.#next++
    const worker = this.#workers[this.#turn++ % this.#workers.length] as Worker
    return await new Promise<Uint8Array>((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject, worker })
      this.#busy.set(worker, (this.#busy.get(worker) ?? 0) + 1)
      worker.ref()
      worker.postMessage({ id, items })
    })
  }

  #done (worker: Worker): void {
    const left = (this.#busy.get(worker) ?? 1) - 1
    this.#busy.set(worker, left)
    if (left === 0) worker.unref()
  }

  async close (): Promise<void> {
    await Promise.all(this.#workers.map(async w => await w.terminate()))
  }
}

let shared: VerifyPool | undefined

/**
 * One pool for the whole process, however many nodes it runs (drills run hundreds): made on
 * first use; its idle workers never keep the process alive.
 */
export function sharedVerifyPool (): VerifyPool {
  shared ??= new VerifyPool()
  return shared
}
