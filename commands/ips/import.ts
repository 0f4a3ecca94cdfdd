import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {importAddresses} from '../../src/space/importexport.js'
import {plural} from '../../src/text.js'
import {dryRunFlag} from '../../src/cli/flags.js'
import {usage} from '../../src/errors.js'

export default class IpsImport extends DbCommand<typeof IpsImport> {
  static override summary = 'Import addresses from a CSV file (one transaction: all or nothing)'
  static override description = 'Columns: address,status,assigned_to,assign_type,description (a header line naming them is optional and may reorder them). Each address must lie in a network. A bad row stops the import with its line number and nothing is imported, unless --skip-invalid.'
  static override examples = ['<%= config.bin %> ips import addresses.csv', '<%= config.bin %> ips import legacy.csv --skip-invalid --json', 'legacy-export | <%= config.bin %> ips import -', '<%= config.bin %> ips import addresses.csv --dry-run']
  static override args = {file: Args.string({required: true, description: 'CSV file, or - for stdin'})}
  static override flags = {'skip-invalid': Flags.boolean({description: 'report and skip bad rows instead of stopping'}), 'dry-run': dryRunFlag}

  public async run() {
    const fromStdin = this.args.file === '-'
    if (fromStdin && process.stdin.isTTY) throw usage('`ips import -` reads CSV from a pipe, not a terminal', 'e.g. ipam ips import - < addresses.csv')
    const db = (await this.session()).target
    const name = fromStdin ? 'stdin' : this.args.file
    const result = await this.withProgress(`Importing ${name}`, (onProgress) => importAddresses(db.pool, name, {skipInvalid: this.flags['skip-invalid'], dryRun: this.flags['dry-run'], input: fromStdin ? process.stdin : undefined, onProgress}))
    if (!this.json) {
      for (const p of result.problems.slice(0, 20)) this.warnUser(`line ${p.line}: ${p.message}`)
      if (result.problems.length > 20) this.note(`… and ${result.skipped - 20} more skipped rows (see --json).`)
      if (this.flags['dry-run']) this.out(`Dry run: would import ${plural(result.imported, 'address', 'addresses')}${result.skipped > 0 ? ` and skip ${result.skipped}` : ''}. Nothing was changed.`)
      else this.out(`Imported ${plural(result.imported, 'address', 'addresses')}${result.skipped > 0 ? `, skipped ${result.skipped}` : ''}.`)
    }
    return this.flags['dry-run'] ? {dryRun: true, ...result} : result
  }
}
