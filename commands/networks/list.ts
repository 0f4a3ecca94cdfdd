import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {asciiFlag} from '../../src/cli/flags.js'
import {listFlags} from '../../src/cli/listing.js'
import {humanCount, unicodeTerminal, utilizationBar} from '../../src/cli/output.js'
import {utilizationThresholds} from '../../src/admin/settings.js'
import {listNetworks} from '../../src/space/networks.js'

export default class NetworksList extends DbCommand<typeof NetworksList> {
  static override summary = 'List networks with their utilization'
  static override description = 'Used counts the allocated, reserved and used addresses in the network (including nested ones); usable leaves out network, broadcast and gateway addresses.'
  static override examples = ['<%= config.bin %> networks list', '<%= config.bin %> networks list --location paris --family 4', '<%= config.bin %> networks list --over 90 --json']
  static override flags = {
    location: Flags.string({description: 'only networks available in this location'}),
    family: Flags.string({options: ['4', '6'], description: 'only IPv4 (4) or IPv6 (6)'}),
    over: Flags.integer({min: 0, max: 100, description: 'only networks at least this full (percent); prints nothing at all, and exits 0, when none is (for cron)'}),
    ascii: asciiFlag,
    ...listFlags,
  }

  public async run() {
    this.quietRouting = this.flags.over !== undefined
    const db = (await this.session()).target
    const nets = await listNetworks(db.pool, {location: this.flags.location, family: this.flags.family ? (Number(this.flags.family) as 4 | 6) : undefined, over: this.flags.over})
    if (!this.json) {
      // With --over (a cron job's check), no match means no output at all.
      if (nets.length === 0 && this.flags.over === undefined) this.note('No networks. Add one with: ipam networks add <cidr>')
      else if (nets.length > 0) {
        const t = await utilizationThresholds(db.pool)
        const ascii = this.flags.ascii || !unicodeTerminal()
        await this.list([{header: 'ID'}, {header: 'Network'}, {header: 'Name', shrink: true}, {header: 'VLAN', optional: true}, {header: 'Locations', shrink: true, optional: true}, {header: 'Used', align: 'right', optional: true}, {header: 'Usable', align: 'right'}, {header: 'Utilization'}], nets.map((n) => [
          n.id, n.cidr, n.name, n.vlan, n.locations.join(', '), n.used, {display: humanCount(n.usable), value: n.usable}, {display: utilizationBar(n.percent, {ascii, color: this.useColor, ...t}), value: n.percent},
        ]))
      }
    }
    return nets
  }
}
