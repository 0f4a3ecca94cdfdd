import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base.js'
import {profileFlag} from '../../src/cli/config-flags.js'
import {checkKey, displayValue, getProfileValue, profilePath} from '../../src/db/profiles.js'
import {globalsNotApplicable} from '../../src/cli/flags.js'

export default class ConfigGet extends BaseCommand<typeof ConfigGet> {
  static override summary = 'Show one profile value (passwords masked)'
  static override description = globalsNotApplicable(['db'], 'profiles live in a file, not in a database')
  static override examples = ['<%= config.bin %> config get db', '<%= config.bin %> config get db --profile staging']
  static override args = {key: Args.string({required: true, description: 'db, smtp-url or mail-from'})}
  static override flags = {profile: profileFlag}

  public async run() {
    const value = await getProfileValue(profilePath(this.config.configDir), this.flags.profile, this.args.key)
    const shown = displayValue(checkKey(this.args.key), value)
    if (!this.json) this.out(shown)
    return {profile: this.flags.profile, key: this.args.key, value: shown}
  }
}
