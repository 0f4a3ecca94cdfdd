import {DbCommand} from '../../src/cli/db-command.js'
import {listUsers} from '../../src/admin/users.js'
import {listFlags} from '../../src/cli/listing.js'

export default class UsersList extends DbCommand<typeof UsersList> {
  static override summary = 'List users and their roles'
  static override examples = ['<%= config.bin %> users list', '<%= config.bin %> users list --json']
  static override flags = {...listFlags}

  public async run() {
    const db = await this.db()
    const users = await listUsers(db.pool)
    if (!this.json) {
      if (users.length === 0) this.note('No users yet. Create one with: ipam users create <email>')
      else await this.list([{header: 'ID'}, {header: 'Email'}, {header: 'Roles', shrink: true}, {header: 'Admin'}, {header: 'Password'}, {header: 'Created'}], users.map((u) => [u.id, u.email, u.roles.join(', '), {display: u.admin ? this.c.green('yes') : 'no', value: u.admin ? 'yes' : 'no'}, u.hasPassword ? 'set' : '-', u.createdAt]))
    }
    return users
  }
}
