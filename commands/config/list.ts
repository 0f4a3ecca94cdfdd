import {BaseCommand} from '../../src/cli/base.js'
import {checkKey, displayValue, profilePath, readProfiles} from '../../src/db/profiles.js'
import {listFlags} from '../../src/cli/listing.js'

export default class ConfigList extends BaseCommand<typeof ConfigList> {
  static override summary = 'List every profile and its values (passwords masked)'
  static override examples = ['<%= config.bin %> config list', '<%= config.bin %> config list --json']
  static override flags = {...listFlags}

  public async run() {
    const file = profilePath(this.config.configDir)
    const data = await readProfiles(file)
    const rows = Object.entries(data.profiles).flatMap(([profile, values]) =>
      Object.entries(values).map(([key, value]) => ({profile, key, value: displayValue(checkKey(key), String(value))})),
    )
    if (!this.json) {
      if (rows.length === 0) this.note(`No profiles yet (${file}). Set one with: ipam config set db <url>`)
      else await this.list([{header: 'Profile'}, {header: 'Key'}, {header: 'Value', shrink: true}], rows.map((r) => [r.profile, r.key, r.value]))
    }
    return {file, values: rows}
  }
}
