import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base.js'
import {profileFlag} from '../../src/cli/config-flags.js'
import {profilePath, unsetProfileValue} from '../../src/db/profiles.js'
import {globalsNotApplicable} from '../../src/cli/flags.js'

export default class ConfigUnset extends BaseCommand<typeof ConfigUnset> {
  static override summary = 'Remove a profile value'
  static override description = globalsNotApplicable(['db'], 'profiles live in a file, not in a database')
  static override examples = ['<%= config.bin %> config unset smtp-url', '<%= config.bin %> config unset db --profile staging']
  static override args = {key: Args.string({required: true, description: 'db, smtp-url or mail-from'})}
  static override flags = {profile: profileFlag}

  public async run() {
    const removed = await unsetProfileValue(profilePath(this.config.configDir), this.flags.profile, this.args.key)
    if (!this.json) this.out(removed ? `Removed ${this.args.key} from profile "${this.flags.profile}".` : `${this.args.key} was not set in profile "${this.flags.profile}".`)
    return {profile: this.flags.profile, key: this.args.key, removed}
  }
}
