/**
 * Runtime schema checks: TypeBox describes (and gives JSON Schema for the API), Ajv checks.
 * A failure names the field as a dotted path, e.g. `body.severity`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { TSchema } from '@sinclair/typebox'

const ajv = new Ajv({ allErrors: false, strict: true, coerceTypes: false, useDefaults: false })

export interface SchemaProblem { field: string, message: string }
export type Check = (value: unknown) => SchemaProblem | undefined

function fieldOf (err: ErrorObject, prefix: string): string {
  const path = err.instancePath.split('/').filter(Boolean)
  if (err.keyword === 'required') path.push(String((err.params as { missingProperty: string }).missingProperty))
  if (err.keyword === 'additionalProperties') path.push(String((err.params as { additionalProperty: string }).additionalProperty))
  return [prefix, ...path].filter(Boolean).join('.')
}

/** A choice among fixed values (a union of literals fails on each one): name them all. */
function oneOf (errors: ErrorObject[], first: ErrorObject): string {
  const allowed = errors
    .filter(e => e.keyword === 'const' && e.instancePath === first.instancePath)
    .map(e => JSON.stringify((e.params as { allowedValue: unknown }).allowedValue))
  return allowed.length > 1 ? `must be one of ${allowed.join(', ')}` : `must be ${allowed[0] ?? 'a fixed value'}`
}

/**
 * Compiles a schema once, at its first check (a CLI call that checks nothing, such as `accord
 * view`, then starts without compiling every kind's schema); the returned check says what is
 * wrong and where, or nothing.
 */
export function compile (schema: TSchema, prefix = ''): Check {
  let compiled: ValidateFunction | undefined
  return (value: unknown) => {
    const validate = compiled ??= ajv.compile(schema)
    if (validate(value)) return undefined
    const err = validate.errors?.[0]
    if (err == null) return { field: prefix, message: 'invalid' }
    const field = fieldOf(err, prefix)
    const detail = err.keyword === 'additionalProperties'
      ? 'is not an allowed field'
      : err.keyword === 'required' ? 'is required' : err.keyword === 'const' ? oneOf(validate.errors ?? [], err) : (err.message ?? 'is invalid')
    return { field, message: `${field === '' ? 'value' : field} ${detail}` }
  }
}
