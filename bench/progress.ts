/** A one-line progress bar on stderr (only when it is a terminal; silent in CI logs). */
export interface Progress { tick: (n?: number) => void, done: () => void }

export function progress (label: string, total: number): Progress {
  const tty = process.stderr.isTTY === true
  let count = 0
  let last = 0
  const draw = (): void => {
    const width = 30
    const filled = Math.round((count / total) * width)
    process.stderr.write(`\r${label.padEnd(18)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}/${total}`)
  }
  return {
    tick (n = 1) {
      count += n
      if (tty && Date.now() - last > 100) { last = Date.now(); draw() }
    },
    done () { if (tty) { count = total; draw(); process.stderr.write('\n') } }
  }
}
