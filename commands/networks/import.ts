import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {plural} from '../../src/text.js'
import {importSpace} from '../../src/space/netimport.js'

export default class NetworksImport extends DbCommand<typeof NetworksImport> {
  static override summary = 'Import networks, pools and ranges from CSV or JSON lines (one transaction: all or nothing)'
  static override description = 'Reads what `networks export` writes. The format comes from --format, else the file name (.csv, .jsonl/.ndjson/.json), else the first character. A CSV header line is optional and may reorder the columns. Records are applied in file order (a range may name a pool from an earlier line). A bad line stops the import with its line number and nothing is imported, unless --skip-invalid.'
  static override examples = ['<%= config.bin %> networks import space.csv', '<%= config.bin %> networks import space.jsonl --skip-invalid --json', '<%= config.bin %> networks import space.csv --dry-run']
  static override args = {file: Args.string({required: true, description: 'CSV or JSON-lines file'})}
  static override flags = {
    format: Flags.string({options: ['csv', 'jsonl'], description: 'the file\'s format (default: from its name or content)'}),
    'skip-invalid': Flags.boolean({description: 'report and skip bad lines instead of stopping'}),
    'dry-run': Flags.boolean({description: 'check every line, change nothing'}),
  }

  public async run() {
    const db = (await this.session()).target
    const r = await importSpace(db.pool, this.args.file, {format: this.flags.format, skipInvalid: this.flags['skip-invalid'], dryRun: this.flags['dry-run']})
    if (!this.json) {
      for (const p of r.problems.slice(0, 20)) this.warnUser(`line ${p.line}: ${p.message}`)
      if (r.problems.length > 20) this.note(`… and ${r.skipped - 20} more skipped lines (see --json).`)
      this.out(`${r.dryRun ? 'Would import' : 'Imported'} ${plural(r.networks, 'network')}, ${plural(r.pools, 'pool')}, ${plural(r.ranges, 'range')}${r.skipped > 0 ? `, skipped ${plural(r.skipped, 'line')}` : ''}.`)
    }
    return r
  }
}
