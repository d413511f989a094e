/** Bounded waits: every wait in a drill ends, by its condition or by its timeout. */
export class DrillTimeoutError extends Error {
  static override name = 'DrillTimeoutError'
  constructor (message: string) { super(message); this.name = 'DrillTimeoutError' }
}

export const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, Math.max(0, ms))) }

/** Polls `condition` until true; returns how long that took, or throws after `timeoutMs`. */
export async function pollUntil (condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 50): Promise<number> {
  const start = Date.now()
  while (!(await condition())) {
    if (Date.now() - start >= timeoutMs) throw new DrillTimeoutError(`timed out after ${Math.round(timeoutMs)} ms waiting for ${what}`)
    await sleep(intervalMs)
  }
  return Date.now() - start
}
