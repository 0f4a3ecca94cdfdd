import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/base.js'
import {humanCount} from '../../src/cli/output.js'
import {locationFlag} from '../../src/cli/flags.js'
import {addNetwork} from '../../src/space/networks.js'

export default class NetworksAdd extends DbCommand<typeof NetworksAdd> {
  static override summary = 'Add a network (IPv4 or IPv6 CIDR)'
  static override examples = [
    '<%= config.bin %> networks add 192.0.2.0/24 --name office --gateway 192.0.2.1 --vlan 20 --location paris',
    '<%= config.bin %> networks add 2001:db8:10::/48 --name lab-v6 --json',
  ]
  static override args = {cidr: Args.string({required: true, description: 'the network, e.g. 192.0.2.0/24'})}
  static override flags = {
    name: Flags.string({description: 'a name for people'}),
    gateway: Flags.string({description: 'gateway address (inside the network; never handed out)'}),
    vlan: Flags.integer({description: 'VLAN id (1-4094)'}),
    location: locationFlag,
    note: Flags.string({description: 'free text'}),
  }

  public async run() {
    const db = (await this.session()).target
    const net = await addNetwork(db.pool, {cidr: this.args.cidr, name: this.flags.name, gateway: this.flags.gateway, vlan: this.flags.vlan, locations: this.flags.location, note: this.flags.note})
    if (!this.json) this.out(`Added network ${net.cidr} (id ${net.id}${net.name ? `, ${net.name}` : ''}): ${humanCount(net.usable)} usable addresses.`)
    return net
  }
}
