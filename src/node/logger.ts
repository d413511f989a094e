import { pino, type Logger, type Level } from 'pino'

export type { Logger }

/** Structured JSON logs, one line each, with the member id on every line. */
export function createLogger (member: string, level: Level | 'silent' = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { member }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? process.stdout)
}
