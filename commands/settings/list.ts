import {DbCommand} from '../../src/cli/db-command.js'
import {listSettings} from '../../src/admin/settings.js'
import {listFlags} from '../../src/cli/listing.js'

export default class SettingsList extends DbCommand<typeof SettingsList> {
  static override summary = 'List database-wide settings'
  static override examples = ['<%= config.bin %> settings list', '<%= config.bin %> settings list --json']
  static override flags = {...listFlags}

  public async run() {
    const db = (await this.session()).target
    const rows = await listSettings(db.pool)
    if (!this.json) await this.list([{header: 'Setting'}, {header: 'Value', shrink: true}, {header: 'What', shrink: true}], rows.map((r) => [r.name, {display: r.value ?? this.c.dim('(not set)'), value: r.value}, r.description]))
    return rows
  }
}
