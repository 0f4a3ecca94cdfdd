import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {changeLines, clearFlag} from '../../src/cli/changes.js'
import {locationFlag} from '../../src/cli/flags.js'
import {NETWORK_CLEARABLE, setNetwork} from '../../src/space/edit.js'

export default class NetworksSet extends DbCommand<typeof NetworksSet> {
  static override summary = 'Change a network in place: name, gateway, VLAN, locations, note (audited old → new)'
  static override description = 'A new gateway must lie inside the network, be usable and not be allocated. --location replaces the list of locations. --clear FIELD empties an optional field; an empty flag value is refused.'
  static override examples = [
    '<%= config.bin %> networks set 192.0.2.0/24 --name office-lan --gateway 192.0.2.254',
    '<%= config.bin %> networks set 42 --vlan 30 --location paris --location lyon',
    '<%= config.bin %> networks set 192.0.2.0/24 --clear gateway --clear note --json',
  ]
  static override args = {network: Args.string({required: true, description: 'network id or CIDR'})}
  /** An empty value is refused by the domain, with a hint naming --clear. */
  static override emptyAllowed = ['name', 'gateway', 'note']
  static override flags = {
    name: Flags.string({description: 'a name for people'}),
    gateway: Flags.string({description: 'gateway address (inside the network; never handed out)'}),
    vlan: Flags.integer({description: 'VLAN id (1-4094)'}),
    location: locationFlag,
    note: Flags.string({description: 'free text'}),
    clear: clearFlag(NETWORK_CLEARABLE),
  }

  public async run() {
    const db = (await this.session()).target
    const f = this.flags
    const net = await setNetwork(db.pool, this.args.network, {name: f.name, gateway: f.gateway, vlan: f.vlan, locations: f.location, note: f.note, clear: f.clear})
    if (!this.json) {
      if (!net.changed) this.out(`Network ${net.cidr}: nothing changed.`)
      else this.out([`Network ${net.cidr} (id ${net.id}) changed:`, ...changeLines(net.changes).map((l) => `  ${l}`)].join('\n'))
    }
    return net
  }
}
