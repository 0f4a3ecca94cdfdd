import {Flags} from '@oclif/core'

import {localFlag} from '../src/cli/flags.js'
import {DbCommand} from '../src/cli/db-command.js'
import {listAudit} from '../src/admin/audit.js'
import {listFlags} from '../src/cli/listing.js'

export default class Log extends DbCommand<typeof Log> {
  static override summary = 'Show the audit log of every change, newest first'
  static override examples = ['<%= config.bin %> log', '<%= config.bin %> log --limit 100 --action users', '<%= config.bin %> log --action ips.allocate --json', '<%= config.bin %> log --local']
  static override flags = {
    local: localFlag,
    limit: Flags.integer({default: 20, min: 1, max: 100_000, description: 'how many entries'}),
    action: Flags.string({description: 'only this action, or a prefix such as "users" or "ips"'}),
    ...listFlags,
  }

  public async run() {
    const db = (await this.session({local: this.flags.local})).target
    const rows = await listAudit(db.pool, {limit: this.flags.limit, action: this.flags.action})
    if (!this.json) {
      if (rows.length === 0) this.note('No audit entries.')
      else await this.list([{header: 'ID'}, {header: 'When (UTC)'}, {header: 'Who', shrink: true}, {header: 'DB user', shrink: true, optional: true}, {header: 'Action'}, {header: 'Object'}, {header: 'Detail', shrink: true}], rows.map((r) => [r.id, r.at.slice(0, 19), r.osUser, r.dbUser, r.action, `${r.objectType} ${r.objectId ?? ''}`.trim(), r.detail ? JSON.stringify(r.detail) : '']))
    }
    return rows
  }
}
