import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/base.js'
import {humanCount} from '../../src/cli/output.js'
import {showNetwork} from '../../src/space/networks.js'

export default class NetworksShow extends DbCommand<typeof NetworksShow> {
  static override routeToMaster = true
  static override summary = 'Show a network: parent, children, use by status and by pool'
  static override examples = ['<%= config.bin %> networks show 192.0.2.0/24', '<%= config.bin %> networks show 42 --json']
  static override args = {network: Args.string({required: true, description: 'network id or CIDR'})}

  public async run() {
    const db = await this.db()
    const n = await showNetwork(db.pool, this.args.network)
    if (!this.json) {
      this.out(this.fields([
        ['Network', `${n.cidr} (id ${n.id})`],
        ['Name', n.name],
        ['Gateway', n.gateway],
        ['VLAN', n.vlan],
        ['Locations', n.locations.length > 0 ? n.locations.join(', ') : 'everywhere'],
        ['Note', n.note],
        ['Parent', n.parent ? `${n.parent.cidr} (id ${n.parent.id})` : null],
        ['Children', n.children.map((c) => c.cidr).join(', ')],
        ['Usable', humanCount(n.usable)],
        ['Used', `${n.used} (${n.percent}%): ${n.byStatus.ALLOCATED} allocated, ${n.byStatus.RESERVED} reserved, ${n.byStatus.USED} used`],
        ['Free', humanCount(n.free)],
      ]))
      if (n.ranges.length > 0) this.out(`\n${this.table(['Range ID', 'Pool', 'Range', {header: 'Size', align: 'right'}, {header: 'Used', align: 'right'}], n.ranges.map((r) => [r.id, r.pool, r.range, humanCount(r.size), r.used]))}`)
    }
    return n
  }
}
