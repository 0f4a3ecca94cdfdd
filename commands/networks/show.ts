import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {humanCount} from '../../src/cli/output.js'
import {showNetwork} from '../../src/space/networks.js'
import {networkFreeSummary} from '../../src/space/free.js'

export default class NetworksShow extends DbCommand<typeof NetworksShow> {
  static override summary = 'Show a network: parent, children, use by status and by pool'
  static override examples = ['<%= config.bin %> networks show 192.0.2.0/24', '<%= config.bin %> networks show 42 --json']
  static override args = {network: Args.string({required: true, description: 'network id or CIDR'})}

  public async run() {
    const db = (await this.session()).target
    const shown = await showNetwork(db.pool, this.args.network)
    const n = {...shown, freeSpace: await networkFreeSummary(db.pool, shown.id)}
    if (!this.json) {
      this.out(this.fields([
        ['Network', `${n.cidr} (id ${n.id})`],
        ['Name', n.name, {shrink: true}],
        ['Gateway', n.gateway],
        ['VLAN', n.vlan],
        ['Locations', n.locations.length > 0 ? n.locations.join(', ') : 'everywhere', {shrink: true}],
        ['Note', n.note, {shrink: true}],
        ['Parent', n.parent ? `${n.parent.cidr} (id ${n.parent.id})` : null],
        ['Children', n.children.map((c) => c.cidr)],
        ['Usable', humanCount(n.usable)],
        ['Used', `${n.used} (${n.percent}%): ${n.byStatus.ALLOCATED} allocated, ${n.byStatus.RESERVED} reserved, ${n.byStatus.USED} used`],
        ['Free', humanCount(n.free)],
        ['Free space', n.freeSpace.blocks === 0 ? 'none: child networks cover it all' : `${n.freeSpace.blocks} free block${n.freeSpace.blocks === 1 ? '' : 's'} not in a child network, the largest ${n.freeSpace.largest}`],
      ]))
      if (n.ranges.length > 0) this.out(`\n${this.table(['Range ID', {header: 'Pool', shrink: true}, 'Range', {header: 'Size', align: 'right'}, {header: 'Used', align: 'right'}], n.ranges.map((r) => [r.id, r.pool, r.range, humanCount(r.size), r.used]))}`)
    }
    return n
  }
}
