import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {humanCount} from '../../src/cli/output.js'
import {locationFlag} from '../../src/cli/flags.js'
import {usage} from '../../src/errors.js'
import {carveNetworks} from '../../src/space/carve.js'
import {addNetwork} from '../../src/space/networks.js'

export default class NetworksAdd extends DbCommand<typeof NetworksAdd> {
  static override summary = 'Add a network (IPv4 or IPv6 CIDR), or carve the next free ones out of a parent'
  static override description = 'With --from and --prefix, creates the lowest free aligned child networks of that length inside the parent (a network by id or CIDR): blocks that overlap no network already inside it. --count is all or nothing.'
  static override examples = [
    '<%= config.bin %> networks add 192.0.2.0/24 --name office --gateway 192.0.2.1 --vlan 20 --location paris',
    '<%= config.bin %> networks add 2001:db8:10::/48 --name lab-v6 --json',
    '<%= config.bin %> networks add --from 10.0.0.0/8 --prefix 24 --name rack-12 --gateway-offset 1',
    '<%= config.bin %> networks add --from 2001:db8::/48 --prefix 64 --count 4 --json',
  ]
  static override args = {cidr: Args.string({required: false, ignoreStdin: true, description: 'the network, e.g. 192.0.2.0/24 (or --from and --prefix)'})}
  static override flags = {
    from: Flags.string({description: 'carve out of this parent network (id or CIDR)', dependsOn: ['prefix']}),
    prefix: Flags.integer({description: 'prefix length of the networks to carve, e.g. 24 or 64', dependsOn: ['from']}),
    count: Flags.integer({description: 'how many networks to carve (all or nothing)', dependsOn: ['from']}),
    name: Flags.string({description: 'a name for people'}),
    gateway: Flags.string({description: 'gateway address (inside the network; never handed out)', exclusive: ['from']}),
    'gateway-offset': Flags.integer({description: 'with --from: gateway = network address + K (1 = first usable address)', dependsOn: ['from']}),
    vlan: Flags.integer({description: 'VLAN id (1-4094)'}),
    location: locationFlag,
    note: Flags.string({description: 'free text'}),
  }

  public async run() {
    const db = (await this.session()).target
    const f = this.flags
    if (f.from !== undefined) {
      if (this.args.cidr !== undefined) throw usage(`give either a CIDR (${this.args.cidr}) or --from ${f.from}, not both`)
      const r = await carveNetworks(db.pool, {from: f.from, prefix: f.prefix!, count: f.count, name: f.name, gatewayOffset: f['gateway-offset'], vlan: f.vlan, locations: f.location, note: f.note})
      if (!this.json) for (const n of r.networks) this.out(n.cidr)
      return r.networks
    }
    if (this.args.cidr === undefined) throw usage('give the network to add, or --from <parent> --prefix <length> to carve one', 'e.g. `ipam networks add 192.0.2.0/24` or `ipam networks add --from 10.0.0.0/8 --prefix 24`')
    const net = await addNetwork(db.pool, {cidr: this.args.cidr, name: f.name, gateway: f.gateway, vlan: f.vlan, locations: f.location, note: f.note})
    if (!this.json) this.out(`Added network ${net.cidr} (id ${net.id}${net.name ? `, ${net.name}` : ''}): ${humanCount(net.usable)} usable addresses.`)
    return net
  }
}
