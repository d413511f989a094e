/**
 * The data directory's lock: a lock whose process is gone, a zombie, or another process under a
 * reused pid is taken over; one whose process still runs is refused, saying what to do.
 */
import { strict as assert } from 'node:assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DataDirError, lockDataDir, parseProcStat } from '../../src/node/data-dir.ts'

const startOf = (pid: number): string => parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))!.start
const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

describe('node: data directory lock', () => {
  let dir: string
  let lock: string
  const children: ChildProcess[] = []
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'accord-lock-')); lock = join(dir, 'node.lock') })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })
  after(() => { for (const c of children) c.kill('SIGKILL') })

  const refusal = (): DataDirError => {
    try { lockDataDir(dir) } catch (err) { if (err instanceof DataDirError) return err; throw err }
    throw new Error('the lock was taken')
  }
  const takesOver = (): void => {
    const release = lockDataDir(dir)
    assert.match(readFileSync(lock, 'utf8'), new RegExp(`^${process.pid}\\b`))
    release()
    assert.equal(existsSync(lock), false)
  }
  const sleeper = async (): Promise<number> => {
    const c = spawn('sleep', ['30'], { stdio: 'ignore' })
    children.push(c)
    await new Promise(resolve => c.once('spawn', resolve))
    return c.pid!
  }

  it('parses /proc/<pid>/stat after the last parenthesis: a name may hold spaces and parentheses', () => {
    const line = '4242 (a) b (c)) Z 1 4242 4242 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 1 0 98765 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n'
    assert.deepEqual(parseProcStat(line), { state: 'Z', start: '98765' })
    assert.deepEqual(parseProcStat('1 (sleep) S 0 1 1 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 12 0 0'), { state: 'S', start: '12' })
    assert.equal(parseProcStat('garbage'), undefined)
    assert.equal(parseProcStat('1 (x) S 0 1'), undefined)
  })

  it('a lock held by this very process is refused, saying what to do if no node runs there', function () {
    if (!existsSync('/proc/self/stat')) this.skip()
    const mine = `${process.pid} ${startOf(process.pid)}\n`
    writeFileSync(lock, mine)
    assert.equal(refusal().message, `${dir} is in use by process ${process.pid}: a member runs one node (if no Accord node runs there, remove ${lock})`)
    assert.equal(readFileSync(lock, 'utf8'), mine, 'the lock is left alone')
  })

  it('a lock naming a live process that started at another time (its pid reused) is taken over; at its start time, refused', async function () {
    if (!existsSync('/proc/self/stat')) this.skip()
    const pid = await sleeper()
    writeFileSync(lock, `${pid} ${Number(startOf(pid)) - 1}\n`)
    takesOver()
    writeFileSync(lock, `${pid} ${startOf(pid)}\n`)
    assert.match(refusal().message, new RegExp(`in use by process ${pid}: .* remove ${lock.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)$`))
  })

  it('a lock naming a zombie (killed, not reaped yet) is taken over', async function () {
    if (!existsSync('/proc/self/stat')) this.skip()
    // The shell's background child exits; its parent, the shell exec'd into sleep, never reaps it.
    const c = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] })
    children.push(c)
    const zombie = Number(await new Promise<string>(resolve => c.stdout!.once('data', (d: Buffer) => resolve(d.toString()))))
    for (let i = 0; i < 100 && parseProcStat(readFileSync(`/proc/${zombie}/stat`, 'utf8'))?.state !== 'Z'; i++) await sleep(20)
    const stat = parseProcStat(readFileSync(`/proc/${zombie}/stat`, 'utf8'))!
    assert.equal(stat.state, 'Z')
    writeFileSync(lock, `${zombie} ${stat.start}\n`)
    takesOver()
    writeFileSync(lock, String(zombie))
    takesOver()
  })

  it('an old lock holding only a pid: taken over when the process is gone, refused while it runs', async () => {
    const gone = spawn('true')
    const pid = gone.pid!
    await new Promise(resolve => gone.once('exit', resolve))
    writeFileSync(lock, String(pid))
    takesOver()
    const live = await sleeper()
    writeFileSync(lock, String(live))
    assert.match(refusal().message, new RegExp(`in use by process ${live}: `))
  })

  it('an empty lock: being written by another start right now is refused; an old one (a crash between making the file and writing it) is taken over', () => {
    writeFileSync(lock, '')
    assert.match(refusal().message, /is being locked by another start of a node right now/)
    const old = new Date(Date.now() - 10_000)
    utimesSync(lock, old, old)
    takesOver()
  })

  it('release leaves a lock that is no longer this process\'s', () => {
    const release = lockDataDir(dir)
    writeFileSync(lock, '1 1\n')
    release()
    assert.equal(readFileSync(lock, 'utf8'), '1 1\n')
  })
})
