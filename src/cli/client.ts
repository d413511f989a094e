/**
 * A small client of a node's HTTP API for the CLI: base URL from --node, token from --token or
 * the node's data directory. API errors become CliErrors carrying the API's own message.
 */
import { readToken } from '../node/data-dir.ts'

export class CliError extends Error {
  static override name = 'CliError'
  constructor (message: string) { super(message); this.name = 'CliError' }
}

export interface ClientOptions { node?: string, token?: string, data?: string }

export const DEFAULT_NODE = 'http://127.0.0.1:4200'

/** Commander option parser for repeatable flags. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

export class ApiClient {
  readonly base: string
  readonly #token: string

  constructor (opts: ClientOptions) {
    this.base = (opts.node ?? process.env.ACCORD_NODE ?? DEFAULT_NODE).replace(/\/+$/, '')
    const token = opts.token ?? process.env.ACCORD_TOKEN ?? (opts.data != null ? readToken(opts.data) : undefined)
    if (token == null) throw new CliError('no API token: give --token, --data <node data dir>, or set ACCORD_TOKEN')
    this.#token = token
  }

  async request<T> (method: string, path: string, body?: unknown): Promise<T> {
    let res: Response
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000)
      })
    } catch (err) {
      const reason = (err as Error).cause != null ? String((err as { cause: Error }).cause.message) : (err as Error).message
      // Something listens there but drops HTTP: most often a node's P2P port given as --node.
      const hint = /ECONNRESET|other side closed|socket hang up/i.test(reason) ? ' (is that the node\'s API port? its P2P port does not speak HTTP)' : ''
      throw new CliError(`cannot reach the node at ${this.base}: ${reason}${hint}`)
    }
    const text = await res.text()
    let json: unknown
    try { json = text === '' ? undefined : JSON.parse(text) } catch { json = undefined }
    if (!res.ok) {
      const e = (json as { error?: { code?: string, message?: string, field?: string } } | undefined)?.error
      throw new CliError(e != null ? `${e.code ?? res.status}: ${e.message ?? ''}${e.field != null ? ` (field ${e.field})` : ''}` : `HTTP ${res.status} from ${path}`)
    }
    return json as T
  }

  async get<T> (path: string): Promise<T> { return await this.request<T>('GET', path) }
  async post<T> (path: string, body: unknown): Promise<T> { return await this.request<T>('POST', path, body) }

  /** Follows the node's Server-Sent Events, calling `onEvent` for each, until `signal` aborts. */
  async follow (onEvent: (event: string, data: unknown, id?: string) => void, signal?: AbortSignal): Promise<void> {
    let lastId: string | undefined
    for (;;) {
      try {
        const res = await fetch(`${this.base}/v1/events`, { headers: { authorization: `Bearer ${this.#token}`, accept: 'text/event-stream', ...(lastId != null ? { 'last-event-id': lastId } : {}) }, ...(signal != null ? { signal } : {}) })
        if (!res.ok || res.body == null) throw new CliError(`HTTP ${res.status} from /v1/events`)
        let buffer = ''
        const decoder = new TextDecoder()
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true })
          let end: number
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end); buffer = buffer.slice(end + 2)
            let event = 'message'; let data = ''; let id: string | undefined
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7)
              else if (line.startsWith('data: ')) data += line.slice(6)
              else if (line.startsWith('id: ')) id = line.slice(4)
              // What the node says about the stream itself (a restart, a gap), not keep-alives.
              else if (line.startsWith(': ') && line !== ': keep-alive') onEvent('notice', line.slice(2))
            }
            if (data !== '') { if (id != null) lastId = id; onEvent(event, JSON.parse(data), id) }
          }
        }
      } catch (err) {
        if (signal?.aborted === true) return
        if (err instanceof CliError && /401/.test(err.message)) throw err
      }
      if (signal?.aborted === true) return
      // The node went away: try again shortly, resuming after the last event seen.
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
  }
}
