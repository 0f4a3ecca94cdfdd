import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base.js'
import {profileFlag} from '../../src/cli/config-flags.js'
import {displayValue, checkKey, profilePath, setProfileValue} from '../../src/db/profiles.js'
import {globalsNotApplicable} from '../../src/cli/flags.js'

export default class ConfigSet extends BaseCommand<typeof ConfigSet> {
  static override summary = 'Set a profile value: db, smtp-url or mail-from'
  static override description = `Profiles are kept in $XDG_CONFIG_HOME/ipam/config.json, written with mode 0600. ${globalsNotApplicable(['db'], 'profiles live in a file, not in a database')}`
  static override examples = [
    '<%= config.bin %> config set db mysql://ipam@db1.example.com:3306/ipam',
    '<%= config.bin %> config set db mysql://ipam@db2:3306/ipam --profile staging',
    '<%= config.bin %> config set mail-from ipam@example.com',
  ]
  static override args = {
    key: Args.string({required: true, description: 'db, smtp-url or mail-from'}),
    value: Args.string({required: true}),
  }
  static override flags = {profile: profileFlag}

  public async run() {
    const file = profilePath(this.config.configDir)
    await setProfileValue(file, this.flags.profile, this.args.key, this.args.value)
    const shown = displayValue(checkKey(this.args.key), this.args.value)
    if (!this.json) this.out(`Set ${this.args.key} = ${shown} in profile "${this.flags.profile}" (${file}).`)
    return {profile: this.flags.profile, key: this.args.key, value: shown, file}
  }
}
