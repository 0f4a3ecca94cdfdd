import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {changeLines, clearFlag} from '../../src/cli/changes.js'
import {STATUSES} from '../../src/space/addresses.js'
import {ADDRESS_CLEARABLE, setAddress} from '../../src/space/edit.js'

export default class IpsSet extends DbCommand<typeof IpsSet> {
  static override summary = 'Change an allocated address in place (audited old → new; never released and re-taken)'
  static override description = 'The hostname must be an RFC 1123 DNS name (stored lower-case); the MAC may be written 00:1a:2b:3c:4d:5e, 00-1A-2B-3C-4D-5E, 001a.2b3c.4d5e or 001a2b3c4d5e and is stored as 00:1a:2b:3c:4d:5e. --clear FIELD empties an optional field; an empty flag value is refused.'
  static override examples = [
    '<%= config.bin %> ips set 192.0.2.50 --hostname printer-3.example.com --mac 00-1A-2B-3C-4D-5E',
    '<%= config.bin %> ips set 192.0.2.50 --status USED --assigned-to bob --assign-type USER',
    '<%= config.bin %> ips set 192.0.2.50 --clear description --clear mac --json',
  ]
  static override args = {ip: Args.string({required: true, description: 'an allocated address'})}
  /** An empty value is refused by the domain, with a hint naming --clear. */
  static override emptyAllowed = ['status', 'assigned-to', 'assign-type', 'description', 'hostname', 'mac']
  static override flags = {
    status: Flags.string({options: [...STATUSES], description: 'new status'}),
    'assigned-to': Flags.string({description: 'who or what the address is for'}),
    'assign-type': Flags.string({description: 'USER, VM, SERVER, …'}),
    description: Flags.string({description: 'free text'}),
    hostname: Flags.string({description: 'DNS name (RFC 1123)'}),
    mac: Flags.string({description: 'MAC address, any common notation'}),
    clear: clearFlag(ADDRESS_CLEARABLE),
  }

  public async run() {
    const db = (await this.session()).target
    const f = this.flags
    const a = await setAddress(db.pool, this.args.ip, {status: f.status, assignedTo: f['assigned-to'], assignType: f['assign-type'], description: f.description, hostname: f.hostname, mac: f.mac, clear: f.clear})
    if (!this.json) {
      if (!a.changed) this.out(`${a.address}: nothing changed.`)
      else this.out([`${a.address} changed:`, ...changeLines(a.changes).map((l) => `  ${l}`)].join('\n'))
    }
    return a
  }
}
