import { kindOf } from './kinds/index.ts'
import type { HeldRecord } from './held.ts'
import type { State } from './state.ts'

/** Folds one admitted record into the state. Records of one origin must come in chain order. */
export function applyRecord (state: State, record: HeldRecord): void {
  const kind = kindOf(record.kind)
  if (kind == null) return
  kind.kind.apply(state, record.body as never, record)
  state.count(record)
}
