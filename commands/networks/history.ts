import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {historyRows} from '../../src/cli/changes.js'
import {networkHistory} from '../../src/admin/history.js'

export default class NetworksHistory extends DbCommand<typeof NetworksHistory> {
  static override summary = 'Every change to one network, oldest first: who, when, what changed (old → new)'
  static override description = 'Read from the audit log. A removed network is found by its CIDR.'
  static override examples = ['<%= config.bin %> networks history 192.0.2.0/24', '<%= config.bin %> networks history 42 --json']
  static override args = {network: Args.string({required: true, description: 'network id or CIDR'})}

  public async run() {
    const db = (await this.session()).target
    const h = await networkHistory(db.pool, this.args.network)
    if (!this.json) {
      if (h.entries.length === 0) this.note(`No recorded changes to ${h.network}.`)
      else this.out(this.table(['When (UTC)', 'Who', 'Action', 'Changes'], historyRows(h.entries)))
    }
    return h
  }
}
