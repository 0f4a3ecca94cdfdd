import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {asciiFlag} from '../../src/cli/flags.js'
import {renderMap} from '../../src/cli/map.js'
import {unicodeTerminal} from '../../src/cli/output.js'
import {networkMap} from '../../src/space/map.js'

export default class NetworksMap extends DbCommand<typeof NetworksMap> {
  static override summary = 'Draw a grid of the network\'s addresses by state'
  static override description = 'Up to 256 addresses: one cell per address (free, ALLOCATED, RESERVED, USED, gateway, network/broadcast, PENDING request, outside every pool range). Larger networks: 256 cells, each a prefix, shaded by how full it is.'
  static override examples = ['<%= config.bin %> networks map 192.0.2.0/24', '<%= config.bin %> networks map 10.0.0.0/12 --ascii', '<%= config.bin %> networks map 2001:db8::/48 --json']
  static override args = {network: Args.string({required: true, description: 'network id or CIDR'})}
  static override flags = {ascii: asciiFlag}

  public async run() {
    const db = (await this.session()).target
    const map = await networkMap(db.pool, this.args.network)
    if (!this.json) this.out(renderMap(map, {ascii: this.flags.ascii || !unicodeTerminal(), color: this.useColor}))
    return map
  }
}
