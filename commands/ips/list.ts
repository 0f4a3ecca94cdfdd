import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {listAddresses, STATUSES} from '../../src/space/addresses.js'
import {streamJsonArray} from '../../src/cli/stream.js'
import {listFlags} from '../../src/cli/listing.js'

export default class IpsList extends DbCommand<typeof IpsList> {
  static override summary = 'List addresses that are not free, in address order (streams large results)'
  static override examples = ['<%= config.bin %> ips list --pool office', '<%= config.bin %> ips list --network 192.0.2.0/24 --status RESERVED', '<%= config.bin %> ips list --json > all.json', '<%= config.bin %> ips list --search printer', '<%= config.bin %> ips list --assigned-to alice --hostname example.com']
  static override flags = {
    network: Flags.string({description: 'only this network (id or CIDR)'}),
    pool: Flags.string({description: 'only this pool (id or name)'}),
    status: Flags.string({options: [...STATUSES], description: 'only this status'}),
    'assigned-to': Flags.string({description: 'only addresses assigned to exactly this'}),
    hostname: Flags.string({description: 'only this hostname, or names under it (printer-3 finds printer-3.example.com)'}),
    search: Flags.string({description: 'only addresses whose assigned-to, hostname, description or MAC starts with this'}),
    limit: Flags.integer({min: 0, default: 0, description: 'at most this many (0: all); on a terminal a long list goes through $PAGER'}),
    ...listFlags,
  }

  public async run() {
    const db = (await this.session()).target
    const rows = listAddresses(db.pool, {network: this.flags.network, pool: this.flags.pool, status: this.flags.status, limit: this.flags.limit, assignedTo: this.flags['assigned-to'], hostname: this.flags.hostname, search: this.flags.search})
    if (this.json) {
      await streamJsonArray(rows)
      return
    }
    const n = await this.streamList(rows, [
      {header: 'Address', value: (a) => a.address},
      {header: 'Status', value: (a) => a.status},
      {header: 'Assigned to', shrink: true, value: (a) => a.assignedTo},
      {header: 'Type', value: (a) => a.assignType},
      {header: 'Hostname', shrink: true, optional: true, value: (a) => a.hostname},
      {header: 'Description', shrink: true, value: (a) => a.description},
    ])
    if (n === 0) this.note('No addresses match.')
  }
}
