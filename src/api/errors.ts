/** The API's one error shape: `{error: {code, message, field?}}` with a 4xx/5xx status. */
export class ApiError extends Error {
  static override name = 'ApiError'
  readonly status: number
  readonly code: string
  readonly field?: string
  constructor (status: number, code: string, message: string, field?: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    if (field != null) this.field = field
  }
}

export function errorBody (code: string, message: string, field?: string): { error: { code: string, message: string, field?: string } } {
  return { error: { code, message, ...(field != null ? { field } : {}) } }
}

/** Fastify's own request errors, mapped to codes a client can act on. */
export function fromFastifyError (err: { code?: string, statusCode?: number, message: string, validation?: unknown }): ApiError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new ApiError(413, 'too-large', 'request body is larger than the limit (256 KiB)')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new ApiError(415, 'unsupported-media-type', 'send JSON with Content-Type: application/json')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return new ApiError(400, 'malformed-json', 'the JSON body is empty')
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return new ApiError(400, 'malformed-json', 'the body is not valid JSON')
  }
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) return new ApiError(400, 'malformed-json', `the body is not valid JSON: ${err.message}`)
  if (err.statusCode != null && err.statusCode >= 400 && err.statusCode < 500) return new ApiError(err.statusCode, 'bad-request', err.message)
  return new ApiError(500, 'internal', 'internal error')
}
