import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {removeUser} from '../../src/admin/useredit.js'

export default class UsersRemove extends DbCommand<typeof UsersRemove> {
  static override summary = 'Remove a user (the last @admin stays: exit 4)'
  static override examples = ['<%= config.bin %> users remove bob@example.com', '<%= config.bin %> users remove bob@example.com --json']
  static override args = {email: Args.string({required: true, description: 'the user\'s e-mail address'})}

  public async run() {
    const db = await this.db()
    const r = await removeUser(db.pool, this.args.email)
    if (!this.json) this.out(`Removed user ${r.removed.email}.`)
    return r
  }
}
