/** `accord backup` and `accord restore`: a node's records to a file while it runs, and back. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'

const mb = (bytes: number): string => (bytes / 1_048_576).toFixed(1)

/** A bytes bar on a terminal's stderr; nothing otherwise. */
function bytesBar (label: string): { update: (done: number, total: number) => void, end: () => void } {
  const tty = process.stderr.isTTY === true
  let drawn = false
  return {
    update (done, total) {
      if (!tty || total <= 0) return
      const width = 30
      const filled = Math.min(width, Math.round((done / total) * width))
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${mb(done)}/${mb(total)} MB`)
      drawn = true
    },
    end () { if (drawn) process.stderr.write('\n') }
  }
}

export function backupCommands (program: Command): void {
  program.command('backup')
    .description('copy this node\'s records to a file, safely while the node runs (the key is not copied)')
    .requiredOption('--data <dir>', 'the node\'s data directory')
    .requiredOption('--out <file>', 'the backup file to write (must not exist)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { data: string, out: string, json?: boolean }) => {
      const [{ backupRecords }, { DB_FILE }] = await Promise.all([import('../store/backup.ts'), import('../node/data-dir.ts')])
      const bar = bytesBar('backing up')
      const r = await backupRecords(join(o.data, DB_FILE), o.out, (done, total) => { bar.update(done, total) }).finally(() => { bar.end() })
      if (o.json === true) { console.log(JSON.stringify({ out: o.out, ...r })); return }
      console.log(`${r.records} records of ${r.chains} chains (${mb(r.bytes)} MB) backed up to ${o.out} in ${(r.ms / 1000).toFixed(1)} s, checked`)
      console.log(`to restore: stop the node, then accord restore --data ${o.data} --from ${o.out}`)
    })

  program.command('restore')
    .description('put a backup in place of a stopped node\'s records (the records there before are kept aside, not deleted)')
    .requiredOption('--data <dir>', 'the node\'s data directory')
    .requiredOption('--from <file>', 'a backup made by accord backup')
    .option('--force', 'restore even a backup that looks like another federation\'s or another member\'s')
    .option('--json', 'print the result as JSON')
    .action(async (o: { data: string, from: string, force?: boolean, json?: boolean }) => {
      const [{ replaceRecords }, { DB_FILE, lockDataDir }, { loadKey }] = await Promise.all([import('../store/backup.ts'), import('../node/data-dir.ts'), import('../node/keys.ts')])
      if (!existsSync(o.data)) throw new Error(`no data directory at ${o.data}`)
      // Refused while the node runs: it would go on writing to the file moved aside.
      const release = lockDataDir(o.data)
      try {
        // Checked against the data directory's member unless forced.
        const key = o.force === true ? undefined : loadKey(o.data)
        const owner = key != null ? { id: key.id, publicKey: key.card.publicKey } : undefined
        const r = replaceRecords(join(o.data, DB_FILE), o.from, owner)
        if (o.json === true) { console.log(JSON.stringify({ from: o.from, ...r })); return }
        console.log(`${r.records} records of ${r.chains} chains restored from ${o.from}${r.aside != null ? `; the records there before are kept in ${r.aside}` : ''}`)
        console.log('when the node starts, its first write waits for a sync round with a member, which brings back what this member wrote since the backup (see "Restarts and restores" in the README)')
      } finally {
        release()
      }
    })
}
