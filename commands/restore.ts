import {Args} from '@oclif/core'

import {DbCommand} from '../src/cli/db-command.js'
import {dryRunFlag, TYPED_CONFIRMATION_ABOVE, yesFlag} from '../src/cli/flags.js'
import {confirmByTyping, confirmOrRefuse} from '../src/cli/prompt.js'
import {addressSpaceCounts, restoreBackup, verifyBackup} from '../src/admin/backup.js'
import {plural} from '../src/text.js'

export default class Restore extends DbCommand<typeof Restore> {
  static override summary = 'Restore a backup (checksum and schema version checked first; one transaction)'
  static override description = 'Into an empty address space it just restores; over existing data it replaces the address space, requests, users and settings, after confirmation (--yes for scripts).'
  static override examples = ['<%= config.bin %> restore ipam-2026-11-22.ipam-backup.gz', '<%= config.bin %> restore backup.ipam-backup.gz --yes --json']
  static override args = {file: Args.string({required: true, description: 'backup file'})}
  static override flags = {yes: yesFlag, 'dry-run': dryRunFlag}

  public async run() {
    const db = await this.db()
    const header = await this.withProgress(`Reading ${this.args.file}`, (onProgress) => verifyBackup(this.args.file, {onProgress}))
    const existing = await addressSpaceCounts(db.pool)
    const holding = Object.values(existing).some((n) => n > 0)
    if (this.flags['dry-run']) {
      const count = (c: Record<string, number>) => `${plural(c.ipnet ?? 0, 'network')}, ${plural(c.ippool ?? 0, 'pool')}, ${plural(c.ip ?? 0, 'address', 'addresses')}, ${plural(c.ip_request ?? 0, 'request')} and ${plural(c.auth_user ?? 0, 'user')}`
      if (!this.json) this.out(`Dry run: restoring the backup of ${header.createdAt} would ${holding ? `replace ${count(existing)} with` : 'restore'} ${count(header.counts)}. Nothing was changed.`)
      return {dryRun: true, file: this.args.file, backupCreatedAt: header.createdAt, wouldReplace: holding ? existing : null, wouldRestore: header.counts}
    }
    if (holding) {
      this.note(`This database holds ${plural(existing.ipnet, 'network')}, ${plural(existing.ippool, 'pool')}, ${plural(existing.ip, 'address', 'addresses')}, ${plural(existing.ip_request, 'request')} and ${plural(existing.auth_user, 'user')}; restoring replaces them all.`)
      const question = `Replace them with the backup of ${header.createdAt} (${plural(header.counts.ipnet, 'network')}, ${plural(header.counts.ip, 'address', 'addresses')})?`
      const name = db.url.database ?? ''
      if (existing.ip > TYPED_CONFIRMATION_ABOVE && name) await confirmByTyping(`Type the database name (${name}) to restore over it:`, name, {yes: this.flags.yes, what: 'restoring over existing data'})
      else await confirmOrRefuse(question, {yes: this.flags.yes, what: 'restoring over existing data'})
    }
    const result = await this.withProgress(`Restoring ${this.args.file}`, (onProgress) => restoreBackup(db.pool, this.args.file, {onProgress}))
    if (!this.json) this.out(`Restored ${this.args.file}: ${Object.entries(result.counts).map(([t, n]) => `${n} ${t}`).join(', ')}.`)
    return {file: this.args.file, backupCreatedAt: header.createdAt, replaced: holding ? existing : null, ...result}
  }
}
