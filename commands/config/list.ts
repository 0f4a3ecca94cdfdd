import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base.js'
import {checkKey, displayValue, profilePath, readProfiles} from '../../src/db/profiles.js'
import {globalsNotApplicable} from '../../src/cli/flags.js'
import {listFlags} from '../../src/cli/listing.js'

export default class ConfigList extends BaseCommand<typeof ConfigList> {
  static override summary = 'List every profile and its values (passwords masked)'
  static override description = globalsNotApplicable(['db'], 'profiles live in a file, not in a database')
  static override examples = ['<%= config.bin %> config list', '<%= config.bin %> config list --profile staging', '<%= config.bin %> config list --json']
  static override flags = {profile: Flags.string({description: 'only this profile'}), ...listFlags}

  public async run() {
    const file = profilePath(this.config.configDir)
    const data = await readProfiles(file)
    const rows = Object.entries(data.profiles).filter(([profile]) => this.flags.profile === undefined || profile === this.flags.profile).flatMap(([profile, values]) =>
      Object.entries(values).map(([key, value]) => ({profile, key, value: displayValue(checkKey(key), String(value))})),
    )
    if (!this.json) {
      if (rows.length === 0 && this.flags.profile !== undefined) this.note(`Profile ${this.flags.profile} has no values (${file}). Set one with: ipam config set db <url> --profile ${this.flags.profile}`)
      else if (rows.length === 0) this.note(`No profiles yet (${file}). Set one with: ipam config set db <url>`)
      else await this.list([{header: 'Profile'}, {header: 'Key'}, {header: 'Value', shrink: true}], rows.map((r) => [r.profile, r.key, r.value]))
    }
    return {file, values: rows}
  }
}
