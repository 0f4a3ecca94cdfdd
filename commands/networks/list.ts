import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/base.js'
import {asciiFlag} from '../../src/cli/flags.js'
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
    over: Flags.integer({min: 0, max: 100, description: 'only networks at least this full (percent)'}),
    ascii: asciiFlag,
  }

  public async run() {
    const db = (await this.session()).target
    const nets = await listNetworks(db.pool, {location: this.flags.location, family: this.flags.family ? (Number(this.flags.family) as 4 | 6) : undefined, over: this.flags.over})
    if (!this.json) {
      if (nets.length === 0) this.note(this.flags.over === undefined ? 'No networks. Add one with: ipam networks add <cidr>' : `No network is at or above ${this.flags.over}%.`)
      else {
        const t = await utilizationThresholds(db.pool)
        const ascii = this.flags.ascii || !unicodeTerminal()
        this.out(this.table(['ID', 'Network', 'Name', 'VLAN', 'Locations', {header: 'Used', align: 'right'}, {header: 'Usable', align: 'right'}, 'Utilization'], nets.map((n) => [
          n.id, n.cidr, n.name, n.vlan, n.locations.join(", "), n.used, humanCount(n.usable), utilizationBar(n.percent, {ascii, color: this.useColor, ...t}),
        ])))
      }
    }
    return nets
  }
}
