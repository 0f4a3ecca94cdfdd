import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {humanCount} from '../../src/cli/output.js'
import {listRanges} from '../../src/space/ranges.js'
import {listFlags} from '../../src/cli/listing.js'

export default class RangesList extends DbCommand<typeof RangesList> {
  static override summary = 'List address blocks, with their pool, network and use'
  static override examples = ['<%= config.bin %> ranges list', '<%= config.bin %> ranges list --pool office --json']
  static override flags = {pool: Flags.string({description: 'only this pool (id or name)'}), ...listFlags}

  public async run() {
    const db = (await this.session()).target
    const ranges = await listRanges(db.pool, {pool: this.flags.pool})
    if (!this.json) {
      if (ranges.length === 0) this.note('No ranges. Add one with: ipam ranges add <pool> <range>')
      else await this.list([{header: 'ID'}, {header: 'Pool', shrink: true}, {header: 'Range'}, {header: 'Network'}, {header: 'Size', align: 'right'}, {header: 'Used', align: 'right'}, {header: '%', align: 'right'}], ranges.map((r) => [r.id, r.pool, r.range, r.network, {display: humanCount(r.size), value: r.size}, r.used, r.percent]))
    }
    return ranges
  }
}
