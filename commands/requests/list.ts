import {Flags} from '@oclif/core'

import {localFlag} from '../../src/cli/flags.js'
import {DbCommand} from '../../src/cli/db-command.js'
import {listRequests} from '../../src/requests/requests.js'
import {statusBadge} from '../../src/cli/requests.js'
import {listFlags} from '../../src/cli/listing.js'

export default class RequestsList extends DbCommand<typeof RequestsList> {
  static override summary = 'List IP requests (PENDING by default)'
  static override description = 'A request whose network no longer exists (removed by hand-written SQL) shows as orphaned: it can only be rejected.'
  static override examples = ['<%= config.bin %> requests list', '<%= config.bin %> requests list --status ALL --sort newest', '<%= config.bin %> requests list --network 192.0.2.0/24 --region eu-west --json', '<%= config.bin %> requests list --local --status ALL']
  static override flags = {
    local: localFlag,
    status: Flags.string({options: ['PENDING', 'APPROVED', 'REJECTED', 'ALL'], default: 'PENDING', description: 'which requests'}),
    network: Flags.string({description: 'only this network (id or CIDR)'}),
    region: Flags.string({description: 'only this region'}),
    sort: Flags.string({options: ['oldest', 'newest'], default: 'oldest', description: 'order by request time'}),
    limit: Flags.integer({min: 1, default: 1000, description: 'at most this many'}),
    ...listFlags,
  }

  public async run() {
    const db = (await this.session({local: this.flags.local})).target
    const rows = await listRequests(db.pool, {status: this.flags.status, network: this.flags.network, region: this.flags.region, sort: this.flags.sort as 'oldest' | 'newest', limit: this.flags.limit})
    if (!this.json) {
      if (rows.length === 0) this.note(`No ${this.flags.status === 'ALL' ? '' : `${this.flags.status} `}requests.`)
      else await this.list([{header: 'ID'}, {header: 'IP'}, {header: 'Network'}, {header: 'Assign Type', optional: true}, {header: 'Assigned To', shrink: true}, {header: 'Description', shrink: true}, {header: 'Status'}, {header: 'Requested At', optional: true}], rows.map((r) => [
        r.id, r.ip, r.orphaned ? `${r.network} (removed)` : r.network, r.assignType, r.assignedTo, (r.description ?? '').replace(/\s+/g, ' '), {display: `${statusBadge(r.status, this.c)}${r.orphaned && r.status === 'PENDING' ? ` ${this.c.red('orphaned')}` : ''}`, value: r.orphaned && r.status === 'PENDING' ? 'PENDING orphaned' : r.status}, r.requestedAt.slice(0, 19),
      ]))
    }
    return rows
  }
}
