import {Flags} from '@oclif/core'

import {DbCommand} from '../src/cli/db-command.js'
import {writeBackup} from '../src/admin/backup.js'
import {defaultBackupPath} from '../src/admin/paths.js'

export default class Backup extends DbCommand<typeof Backup> {
  static override summary = 'Back up the address space, requests, users and settings to one compressed file'
  static override description = 'A gzip file of JSON lines: a header (format and schema version, instance id, counts, time; never a secret), the rows from one consistent snapshot, and a SHA-256 checksum. Written with mode 0600 (it holds password hashes).'
  static override examples = ['<%= config.bin %> backup', '<%= config.bin %> backup -o /var/backups/ipam-$(date +%F).ipam-backup.gz', '<%= config.bin %> backup --json']
  static override flags = {output: Flags.string({char: 'o', description: 'file to write (default: under the user data dir)'})}

  public async run() {
    const db = await this.db()
    const file = this.flags.output ?? defaultBackupPath(this.config.dataDir, db.url.database)
    const result = await this.withProgress(`Writing ${file}`, (onProgress) => writeBackup(db.pool, file, {database: db.url.database, onProgress}))
    if (!this.json) this.out(`Backup written to ${result.file}: ${Object.entries(result.counts).map(([t, n]) => `${n} ${t}`).join(', ')}.`)
    return result
  }
}
