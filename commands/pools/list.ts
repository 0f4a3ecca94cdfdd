import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {asciiFlag} from '../../src/cli/flags.js'
import {listFlags} from '../../src/cli/listing.js'
import {humanCount, unicodeTerminal, utilizationBar} from '../../src/cli/output.js'
import {utilizationThresholds} from '../../src/admin/settings.js'
import {listPools} from '../../src/space/pools.js'

export default class PoolsList extends DbCommand<typeof PoolsList> {
  static override summary = 'List pools with their size and use'
  static override examples = ['<%= config.bin %> pools list', '<%= config.bin %> pools list --location paris --json']
  static override flags = {location: Flags.string({description: 'only pools available in this location'}), ascii: asciiFlag, ...listFlags}

  public async run() {
    const db = (await this.session()).target
    const pools = await listPools(db.pool, {location: this.flags.location})
    if (!this.json) {
      if (pools.length === 0) this.note('No pools. Add one with: ipam pools add <name>')
      else {
        const t = await utilizationThresholds(db.pool)
        const ascii = this.flags.ascii || !unicodeTerminal()
        await this.list([{header: 'ID'}, {header: 'Pool', shrink: true}, {header: 'Locations', shrink: true, optional: true}, {header: 'Ranges', align: 'right', optional: true}, {header: 'Used', align: 'right'}, {header: 'Size', align: 'right'}, {header: 'Utilization'}, {header: 'Note', shrink: true}], pools.map((p) => [
          p.id, p.name, p.locations.join(', '), p.ranges, p.used, {display: humanCount(p.size), value: p.size}, {display: utilizationBar(p.percent, {ascii, color: this.useColor, ...t}), value: p.percent}, p.note,
        ]))
      }
    }
    return pools
  }
}
