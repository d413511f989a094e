import type { TSchema, Static } from '@sinclair/typebox'
import type { State } from '../state.ts'
import type { HeldRecord } from '../held.ts'

/**
 * One kind of record: its schema, an example, who may say it, and how it changes the state.
 * Adding a kind is one file exporting a `Kind` plus one line in `kinds/index.ts`.
 */
export interface Kind<S extends TSchema = TSchema> {
  name: string
  description: string
  schema: S
  example: Static<S>
  /**
   * Body fields holding a moment that has already happened (an incident occurred, a model was
   * shut down): refused when later than the record's own time (beyond `CLOCK_SKEW_MS`). Without
   * this, a shutdown "at" a future date satisfied a mandate, and a future `occurredAt` dodged
   * the late-report flag.
   */
  pastTimes?: string[]
  /**
   * Throws a reject RecordError when `origin` may not say this given what its own chain holds
   * (ownership, duplicates). Must depend only on the origin's own earlier records, so that the
   * verdict is the same on every node whatever the arrival order.
   */
  authorize?: (body: Static<S>, origin: string, state: State) => void
  /** Folds an admitted record into the state; must commute with other origins' records. */
  apply: (state: State, body: Static<S>, record: HeldRecord) => void
}

export function defineKind<S extends TSchema> (kind: Kind<S>): Kind<S> {
  return kind
}
