import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/base.js'
import {importAddresses} from '../../src/space/importexport.js'
import {plural} from '../../src/text.js'

export default class IpsImport extends DbCommand<typeof IpsImport> {
  static override summary = 'Import addresses from a CSV file (one transaction: all or nothing)'
  static override description = 'Columns: address,status,assigned_to,assign_type,description (a header line naming them is optional and may reorder them). Each address must lie in a network. A bad row stops the import with its line number and nothing is imported, unless --skip-invalid.'
  static override examples = ['<%= config.bin %> ips import addresses.csv', '<%= config.bin %> ips import legacy.csv --skip-invalid --json']
  static override args = {file: Args.string({required: true, description: 'CSV file'})}
  static override flags = {'skip-invalid': Flags.boolean({description: 'report and skip bad rows instead of stopping'})}

  public async run() {
    const db = (await this.session()).target
    const spinner = this.spinner()
    spinner.start(`Importing ${this.args.file}`)
    const result = await importAddresses(db.pool, this.args.file, {skipInvalid: this.flags['skip-invalid'], onProgress: (n) => spinner.update(`Importing ${this.args.file}: ${n} rows`)}).finally(() => spinner.stop())
    if (!this.json) {
      for (const p of result.problems.slice(0, 20)) this.warnUser(`line ${p.line}: ${p.message}`)
      if (result.problems.length > 20) this.note(`… and ${result.skipped - 20} more skipped rows (see --json).`)
      this.out(`Imported ${plural(result.imported, 'address', 'addresses')}${result.skipped > 0 ? `, skipped ${result.skipped}` : ''}.`)
    }
    return result
  }
}
