import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {isInteractive, promptPassword} from '../../src/cli/prompt.js'
import {readStdinSecret} from '../../src/cli/stdin.js'
import {createUser} from '../../src/admin/users.js'
import {usage} from '../../src/errors.js'

export default class UsersCreate extends DbCommand<typeof UsersCreate> {
  static override summary = 'Create a user (password by hidden prompt or --password-stdin)'
  static override examples = [
    '<%= config.bin %> users create alice@example.com --admin',
    "printf '%s' \"$PW\" | <%= config.bin %> users create ci@example.com --password-stdin",
    '<%= config.bin %> users create nopass@example.com --no-password',
  ]
  static override args = {email: Args.string({required: true, description: 'the user\'s e-mail address'})}
  static override flags = {
    admin: Flags.boolean({description: 'give the user the @admin role'}),
    'password-stdin': Flags.boolean({description: 'read the password from stdin'}),
    password: Flags.boolean({allowNo: true, default: true, description: '--no-password creates a user who cannot log in'}),
  }

  public async run() {
    const db = await this.db()
    let password: string | undefined
    if (this.flags['password-stdin']) password = await readStdinSecret('password')
    else if (this.flags.password) {
      if (!isInteractive()) throw usage('a password is needed and there is no terminal to ask on', 'pass --password-stdin (or --no-password)')
      password = await promptPassword(`Password for ${this.args.email}:`)
      const again = await promptPassword('Again:')
      if (again !== password) throw usage('the passwords do not match')
    }
    this.addSecret(password)
    const user = await createUser(db.pool, {email: this.args.email, password, admin: this.flags.admin})
    if (!this.json) this.out(`Created user ${user.email}${user.admin ? ' (admin)' : ''}.`)
    return user
  }
}
