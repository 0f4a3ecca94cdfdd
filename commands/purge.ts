import {Flags} from '@oclif/core'

import {DbCommand} from '../src/cli/db-command.js'
import {usage} from '../src/errors.js'
import {dryRunFlag, yesFlag} from '../src/cli/flags.js'
import {confirmByTyping, isInteractive} from '../src/cli/prompt.js'
import {writeBackup} from '../src/admin/backup.js'
import {defaultBackupPath} from '../src/admin/paths.js'
import {planPurge, purge} from '../src/admin/purge.js'
import {confirmationRequired} from '../src/errors.js'
import {plural} from '../src/text.js'

export default class Purge extends DbCommand<typeof Purge> {
  static override summary = 'Delete every address, range, pool and network of this database, before it joins a master'
  static override description = 'Shows what will go, writes a backup first (path printed), then asks you to type the database name. One transaction: all or nothing. Refused on a master that has platforms joined.'
  static override examples = ['<%= config.bin %> purge', '<%= config.bin %> purge --backup /var/backups/before-join.ipam-backup.gz', '<%= config.bin %> purge --yes --no-backup']
  static override flags = {
    yes: yesFlag,
    backup: Flags.string({description: 'backup file to write first (default: under the user data dir)'}),
    'no-backup': Flags.boolean({description: 'skip the backup (only together with --yes)'}),
    'dry-run': dryRunFlag,
  }

  public async run() {
    if (this.flags['no-backup'] && !this.flags.yes) throw usage('--no-backup goes only with --yes', 'a purge without a backup must be asked for explicitly')
    if (this.flags['no-backup'] && this.flags.backup) throw usage('--backup and --no-backup contradict each other')
    if (this.flags['dry-run']) return this.dryRun()
    if (!this.flags.yes && !isInteractive()) throw confirmationRequired('purge needs confirmation, and there is no terminal to ask on', 'pass --yes to confirm non-interactively')
    const db = await this.db()
    const name = db.url.database ?? ''
    const plan = await planPurge(db.pool)
    this.note(`Purging ${name} deletes ${plural(plan.addresses, 'address', 'addresses')}, ${plural(plan.ranges, 'range')}, ${plural(plan.pools, 'pool')} and ${plural(plan.networks, 'network')}.`)
    let backupFile: string | null = null
    if (!this.flags['no-backup']) {
      backupFile = this.flags.backup ?? defaultBackupPath(this.config.dataDir, name)
      const file = backupFile
      await this.withProgress(`Writing the backup ${file}`, (onProgress) => writeBackup(db.pool, file, {database: name, onProgress}))
      this.note(`Backup written to ${backupFile}`)
    }
    await confirmByTyping(`Type the database name (${name}) to delete its address space:`, name, {yes: this.flags.yes, what: 'purge'})
    const deleted = await this.withProgress(`Purging ${name}`, () => purge(db.pool))
    if (!this.json) this.out(`Purged ${name}: deleted ${plural(deleted.addresses, 'address', 'addresses')}, ${plural(deleted.ranges, 'range')}, ${plural(deleted.pools, 'pool')}, ${plural(deleted.networks, 'network')}.${backupFile ? ` Backup: ${backupFile}` : ''}`)
    return {database: name, deleted, backup: backupFile}
  }

  private async dryRun() {
    const db = await this.db()
    const name = db.url.database ?? ''
    const plan = await planPurge(db.pool)
    const backup = this.flags['no-backup'] ? null : (this.flags.backup ?? defaultBackupPath(this.config.dataDir, name))
    if (!this.json) this.out(`Dry run: purging ${name} would ${backup ? `write a backup to ${backup}, then ` : ''}delete ${plural(plan.addresses, 'address', 'addresses')}, ${plural(plan.ranges, 'range')}, ${plural(plan.pools, 'pool')} and ${plural(plan.networks, 'network')}. Nothing was changed.`)
    return {dryRun: true, database: name, wouldDelete: plan, backup}
  }
}
