import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {historyRows} from '../../src/cli/changes.js'
import {poolHistory} from '../../src/admin/history.js'

export default class PoolsHistory extends DbCommand<typeof PoolsHistory> {
  static override summary = 'Every change to one pool and its ranges, oldest first: who, when, what changed (old → new)'
  static override description = 'Read from the audit log: edits, ranges added and removed, allocations from the pool. A removed pool is found by its name.'
  static override examples = ['<%= config.bin %> pools history office', '<%= config.bin %> pools history 3 --json']
  static override args = {pool: Args.string({required: true, description: 'pool id or name'})}

  public async run() {
    const db = (await this.session()).target
    const h = await poolHistory(db.pool, this.args.pool)
    if (!this.json) {
      if (h.entries.length === 0) this.note(`No recorded changes to pool ${h.pool}.`)
      else this.out(this.table(['When (UTC)', 'Who', 'Action', 'Changes'], historyRows(h.entries)))
    }
    return h
  }
}
