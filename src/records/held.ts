import type { SignedRecord } from './codec.ts'

/** A record that passed the validator: its envelope, its id and its exact bytes. */
export interface HeldRecord extends SignedRecord {
  id: string
}
