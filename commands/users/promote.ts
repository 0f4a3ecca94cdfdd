import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {promoteUser} from '../../src/admin/users.js'

export default class UsersPromote extends DbCommand<typeof UsersPromote> {
  static override summary = 'Give a user the @admin role (keeps other roles; idempotent)'
  static override examples = ['<%= config.bin %> users promote alice@example.com', '<%= config.bin %> users promote alice@example.com --json']
  static override args = {email: Args.string({required: true})}

  public async run() {
    const db = await this.db()
    const {user, changed} = await promoteUser(db.pool, this.args.email)
    if (!this.json) this.out(changed ? `${user.email} is now an admin (roles: ${user.roles.join(', ')}).` : `${user.email} is already an admin; nothing changed.`)
    return {...user, changed}
  }
}
