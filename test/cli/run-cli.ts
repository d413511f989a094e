/** Runs the real `accord` command (bin/accord.js) in a child process. */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/accord.js', import.meta.url))

export interface CliResult { code: number | null, stdout: string, stderr: string }

export async function accord (args: string[], opts: { cwd?: string, timeoutMs?: number } = {}): Promise<CliResult> {
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''; let stderr = ''
    child.stdout.on('data', d => { stdout += String(d) })
    child.stderr.on('data', d => { stderr += String(d) })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`accord ${args.join(' ')} timed out\n${stderr}`)) }, opts.timeoutMs ?? 30_000)
    child.on('exit', code => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

/** Starts a long-running `accord node …`; resolves once it says it is running. */
export async function startNode (args: string[], timeoutMs = 30_000): Promise<{ child: ChildProcess, output: () => string, stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'node', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', d => { out += String(d) })
  child.stderr?.on('data', d => { out += String(d) })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start:\n${out}`)), timeoutMs)
    const check = (): void => { if (out.includes(' running; API ')) { clearTimeout(timer); resolve() } }
    child.stdout?.on('data', check); child.stderr?.on('data', check)
    child.on('exit', code => { clearTimeout(timer); reject(new Error(`node exited (${code}):\n${out}`)) })
  })
  return {
    child,
    output: () => out,
    stop: async () => await new Promise(resolve => {
      if (child.exitCode != null) { resolve(child.exitCode); return }
      child.once('exit', code => resolve(code))
      child.kill('SIGTERM')
    })
  }
}
