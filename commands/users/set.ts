import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {changeLines, clearFlag} from '../../src/cli/changes.js'
import {readStdinSecret} from '../../src/cli/stdin.js'
import {setUser, USER_CLEARABLE} from '../../src/admin/useredit.js'

export default class UsersSet extends DbCommand<typeof UsersSet> {
  static override summary = 'Change a user: new password, take @admin away, or clear the password (audited)'
  static override description = 'The last @admin cannot be demoted (exit 4). The password is never printed or logged; the audit log records only that it changed.'
  static override examples = [
    "printf '%s' \"$PW\" | <%= config.bin %> users set alice@example.com --password-stdin",
    '<%= config.bin %> users set bob@example.com --demote',
    '<%= config.bin %> users set carol@example.com --clear password --json',
  ]
  static override args = {email: Args.string({required: true, description: 'the user\'s e-mail address'})}
  static override flags = {
    'password-stdin': Flags.boolean({description: 'read a new password from stdin'}),
    demote: Flags.boolean({description: 'take the @admin role away'}),
    clear: clearFlag(USER_CLEARABLE),
  }

  public async run() {
    const db = await this.db()
    const password = this.flags['password-stdin'] ? await readStdinSecret('password') : undefined
    this.addSecret(password)
    const u = await setUser(db.pool, this.args.email, {password, demote: this.flags.demote, clear: this.flags.clear})
    if (!this.json) {
      if (!u.changed) this.out(`${u.email}: nothing changed.`)
      else this.out([`${u.email} changed:`, ...changeLines(u.changes).map((l) => `  ${l}`)].join('\n'))
    }
    return u
  }
}
