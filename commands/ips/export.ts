import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {writeOutput} from '../../src/cli/outfile.js'
import {streamJsonArray} from '../../src/cli/stream.js'
import {plural} from '../../src/text.js'
import {CSV_HEADER, csvLine, exportAddresses} from '../../src/space/importexport.js'
import {STATUSES} from '../../src/space/addresses.js'
import type {OnProgress} from '../../src/progress.js'
import {stdoutIsFile} from '../../src/cli/outfile.js'

export default class IpsExport extends DbCommand<typeof IpsExport> {
  static override summary = 'Export addresses as CSV (or JSON lines), streaming; `ips import` reads it back exactly'
  static override examples = ['<%= config.bin %> ips export > addresses.csv', '<%= config.bin %> ips export --pool office -o office.csv', '<%= config.bin %> ips export --format jsonl | jq .address', '<%= config.bin %> ips export --json']
  static override flags = {
    output: Flags.string({char: 'o', description: 'write to this file instead of stdout'}),
    format: Flags.string({options: ['csv', 'jsonl'], default: 'csv', description: 'csv, or jsonl (one JSON object per line); --json gives one JSON array'}),
    network: Flags.string({description: 'only this network (id or CIDR)'}),
    pool: Flags.string({description: 'only this pool (id or name)'}),
    status: Flags.string({options: [...STATUSES], description: 'only this status'}),
  }

  public async run() {
    const db = (await this.session()).target
    const rows = exportAddresses(db.pool, {network: this.flags.network, pool: this.flags.pool, status: this.flags.status})
    if (this.json) {
      await streamJsonArray(rows)
      return
    }
    const file = this.flags.output
    const exportRows = (onProgress?: OnProgress) => writeOutput(file, async (put) => {
      let count = 0
      if (this.flags.format === 'csv') await put(CSV_HEADER)
      onProgress?.({done: count})
      for await (const a of rows) {
        await put(this.flags.format === 'csv' ? csvLine(a) : `${JSON.stringify({address: a.address, status: a.status, assignedTo: a.assignedTo, assignType: a.assignType, description: a.description, hostname: a.hostname, mac: a.mac})}\n`)
        if (++count % 1000 === 0) onProgress?.({done: count})
      }
      return count
    })
    // Progress only into a file (-o, or stdout redirected to one): on a terminal or a pager it would be drawn over the rows.
    const n = file || stdoutIsFile() ? await this.withProgress(`Exporting to ${file ?? 'stdout'}`, exportRows) : await exportRows()
    this.note(`Exported ${plural(n, 'address', 'addresses')}${this.flags.output ? ` to ${this.flags.output}` : ''}.`)
  }
}
