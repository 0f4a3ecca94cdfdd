import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {showAddress} from '../../src/space/addresses.js'

export default class IpsShow extends DbCommand<typeof IpsShow> {
  static override summary = 'Show one address: status, assignment, network, pool and requests'
  static override examples = ['<%= config.bin %> ips show 192.0.2.50', '<%= config.bin %> ips show 2001:db8::10 --json']
  static override args = {ip: Args.string({required: true})}

  public async run() {
    const db = (await this.session()).target
    const a = await showAddress(db.pool, this.args.ip)
    if (!this.json) {
      this.out(this.fields([
        ['Address', a.address],
        ['Status', a.status === 'FREE' ? (a.usable ? 'FREE' : `not usable: ${a.note}`) : a.status],
        ['Assigned to', a.assignedTo, {shrink: true}],
        ['Assign type', a.assignType],
        ['Description', a.description, {shrink: true}],
        ['Hostname', a.hostname, {shrink: true}],
        ['MAC', a.mac],
        ['Network', a.network],
        ['Pool', a.pool, {shrink: true}],
        ['Since', a.createdAt],
        ['Requests', a.requests.map((r) => `#${r.id} ${r.status} by ${r.email ?? r.requestedBy}`), {separator: '; '}],
      ]))
    }
    return a
  }
}
