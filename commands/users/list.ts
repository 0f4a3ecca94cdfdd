import {DbCommand} from '../../src/cli/base.js'
import {listUsers} from '../../src/admin/users.js'

export default class UsersList extends DbCommand<typeof UsersList> {
  static override summary = 'List users and their roles'
  static override examples = ['<%= config.bin %> users list', '<%= config.bin %> users list --json']

  public async run() {
    const db = await this.db()
    const users = await listUsers(db.pool)
    if (!this.json) {
      if (users.length === 0) this.note('No users yet. Create one with: ipam users create <email>')
      else this.out(this.table(['ID', 'Email', 'Roles', 'Admin', 'Password', 'Created'], users.map((u) => [u.id, u.email, u.roles.join(', '), u.admin ? this.c.green('yes') : 'no', u.hasPassword ? 'set' : '-', u.createdAt])))
    }
    return users
  }
}
