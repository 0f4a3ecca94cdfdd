import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base.js'
import {profileFlag} from '../../src/cli/config-flags.js'
import {globalsNotApplicable} from '../../src/cli/flags.js'
import {isInteractive, promptPassword} from '../../src/cli/prompt.js'
import {readStdinSecret} from '../../src/cli/stdin.js'
import {usage} from '../../src/errors.js'
import {displayValue, checkKey, profilePath, SECRET_KEYS, setProfileValue} from '../../src/db/profiles.js'

export default class ConfigSet extends BaseCommand<typeof ConfigSet> {
  static override summary = 'Set a profile value: db, smtp-url, mail-from or master-password'
  static override description = `Profiles are kept in $XDG_CONFIG_HOME/ipam/config.json, written with mode 0600. master-password is the password of the master database a platform works on (never kept in the database); leave its value out to be asked for it, or pass --value-stdin. ${globalsNotApplicable(['db'], 'profiles live in a file, not in a database')}`
  static override examples = [
    '<%= config.bin %> config set db mysql://ipam@db1.example.com:3306/ipam',
    '<%= config.bin %> config set db mysql://ipam@db2:3306/ipam --profile staging',
    '<%= config.bin %> config set mail-from ipam@example.com',
    '<%= config.bin %> config set master-password',
    "printf '%s' \"$MASTER_PW\" | <%= config.bin %> config set master-password --value-stdin",
  ]
  static override args = {
    key: Args.string({required: true, description: 'db, smtp-url, mail-from or master-password'}),
    value: Args.string({required: false, ignoreStdin: true, description: 'the value (for master-password: leave it out to be asked, or use --value-stdin)'}),
  }
  static override flags = {
    profile: profileFlag,
    'value-stdin': Flags.boolean({description: 'read the value from stdin (for secrets, which then never appear in argv)'}),
  }

  public async run() {
    const file = profilePath(this.config.configDir)
    const key = checkKey(this.args.key)
    const secret = SECRET_KEYS.includes(key)
    let value = this.args.value
    if (value !== undefined && this.flags['value-stdin']) throw usage('give the value either as an argument or with --value-stdin, not both')
    if (this.flags['value-stdin']) value = await readStdinSecret('value')
    else if (value === undefined) {
      if (!secret) throw usage(`missing the value for ${key}`, `ipam config set ${key} <value>`)
      if (!isInteractive()) throw usage(`the value of ${key} is needed and there is no terminal to ask on`, `pipe it in: printf '%s' "$SECRET" | ipam config set ${key} --value-stdin`)
      value = await promptPassword(`${key}:`)
    }
    this.addSecret(secret ? value : undefined)
    await setProfileValue(file, this.flags.profile, key, value)
    const shown = displayValue(key, value)
    if (!this.json) this.out(`Set ${key} = ${shown} in profile "${this.flags.profile}" (${file}).`)
    return {profile: this.flags.profile, key, value: shown, file}
  }
}
