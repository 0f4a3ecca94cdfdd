import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {historyRows} from '../../src/cli/changes.js'
import {addressHistory} from '../../src/admin/history.js'

export default class IpsHistory extends DbCommand<typeof IpsHistory> {
  static override summary = 'Every change to one address, oldest first: who, when, what changed (old → new)'
  static override description = 'Read from the audit log. Batch work (allocate --count, import, release of many, integration, removal of a network, pool or range) shows for each address it touched; so do the requests for the address.'
  static override examples = ['<%= config.bin %> ips history 192.0.2.50', '<%= config.bin %> ips history 2001:db8::10 --json']
  static override args = {ip: Args.string({required: true, description: 'an address'})}

  public async run() {
    const db = (await this.session()).target
    const h = await addressHistory(db.pool, this.args.ip)
    if (!this.json) {
      if (h.entries.length === 0) this.note(`No recorded changes to ${h.address}.`)
      else this.out(this.table(['When (UTC)', 'Who', 'Action', 'Changes'], historyRows(h.entries)))
    }
    return h
  }
}
