import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {plural} from '../../src/text.js'
import {writeOutput} from '../../src/cli/outfile.js'
import {streamJsonArray} from '../../src/cli/stream.js'
import {exportSpace, SPACE_CSV_HEADER, spaceCsvLine} from '../../src/space/netimport.js'

export default class NetworksExport extends DbCommand<typeof NetworksExport> {
  static override summary = 'Export networks, pools and their ranges as CSV or JSON lines; `networks import` reads it back'
  static override description = 'CSV columns: type,cidr,name,gateway,vlan,locations,note,range. A network row fills cidr..note; a pool row names the pool in `name`; a range row names its pool in `name` and the block in `range`. Locations are joined by ";". JSON lines: one object per line with "type": "network", "pool" or "range".'
  static override examples = ['<%= config.bin %> networks export > space.csv', '<%= config.bin %> networks export --format jsonl -o space.jsonl', '<%= config.bin %> networks export --json']
  static override flags = {
    output: Flags.string({char: 'o', description: 'write to this file instead of stdout'}),
    format: Flags.string({options: ['csv', 'jsonl'], default: 'csv', description: 'csv, or jsonl (one JSON object per line); --json gives one JSON array'}),
  }

  public async run() {
    const db = (await this.session()).target
    const records = exportSpace(db.pool)
    if (this.json) {
      await streamJsonArray(records)
      return
    }
    const counts = {network: 0, pool: 0, range: 0}
    await writeOutput(this.flags.output, async (put) => {
      if (this.flags.format === 'csv') await put(SPACE_CSV_HEADER)
      for await (const r of records) {
        await put(this.flags.format === 'csv' ? spaceCsvLine(r) : `${JSON.stringify(r)}\n`)
        counts[r.type]++
      }
    })
    this.note(`Exported ${plural(counts.network, 'network')}, ${plural(counts.pool, 'pool')}, ${plural(counts.range, 'range')}${this.flags.output ? ` to ${this.flags.output}` : ''}.`)
  }
}
