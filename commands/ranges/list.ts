import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/base.js'
import {listRanges} from '../../src/space/ranges.js'

export default class RangesList extends DbCommand<typeof RangesList> {
  static override summary = 'List address blocks, with their pool, network and use'
  static override examples = ['<%= config.bin %> ranges list', '<%= config.bin %> ranges list --pool office --json']
  static override flags = {pool: Flags.string({description: 'only this pool (id or name)'})}

  public async run() {
    const db = (await this.session()).target
    const ranges = await listRanges(db.pool, {pool: this.flags.pool})
    if (!this.json) {
      if (ranges.length === 0) this.note('No ranges. Add one with: ipam ranges add <pool> <range>')
      else this.out(this.table(['ID', 'Pool', 'Range', 'Network', {header: 'Size', align: 'right'}, {header: 'Used', align: 'right'}, {header: '%', align: 'right'}], ranges.map((r) => [r.id, r.pool, r.range, r.network, r.size, r.used, r.percent])))
    }
    return ranges
  }
}
