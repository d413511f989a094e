import type { Kind } from './kind.ts'
import { compile, type Check } from '../schema.ts'
import { modelRegister } from './model-register.ts'
import { modelUpdate } from './model-update.ts'
import { incidentReport } from './incident-report.ts'
import { incidentUpdate } from './incident-update.ts'
import { incidentCorroborate } from './incident-corroborate.ts'
import { incidentWithdraw, modelWithdraw } from './withdraw.ts'
import { modelAcknowledge } from './model-acknowledge.ts'
import { redlineConfirm, redlineDeclare, redlineShutdown } from './redline.ts'
import { memberPropose, memberVote } from './member.ts'

/** Every kind the federation understands. Adding one: a file beside this and a line here. */
export const KINDS: readonly Kind[] = [
  modelRegister,
  modelUpdate,
  incidentReport,
  incidentUpdate,
  incidentCorroborate,
  incidentWithdraw,
  modelWithdraw,
  modelAcknowledge,
  redlineDeclare,
  redlineConfirm,
  redlineShutdown,
  memberPropose,
  memberVote
] as unknown as Kind[]

interface CompiledKind { kind: Kind, check: Check }
const byName = new Map<string, CompiledKind>(KINDS.map(kind => [kind.name, { kind, check: compile(kind.schema, 'body') }]))

export function kindOf (name: string): CompiledKind | undefined {
  return byName.get(name)
}

/** What to tell someone who named a kind that does not exist: the kinds that do. */
export function unknownKindMessage (name: string): string {
  return `unknown kind ${name}; kinds: ${KINDS.map(k => k.name).join(', ')}`
}

export type { Kind } from './kind.ts'
