import {DbCommand} from '../../src/cli/base.js'
import {listSettings} from '../../src/admin/settings.js'

export default class SettingsList extends DbCommand<typeof SettingsList> {
  static override summary = 'List database-wide settings'
  static override examples = ['<%= config.bin %> settings list', '<%= config.bin %> settings list --json']

  public async run() {
    const db = (await this.session()).target
    const rows = await listSettings(db.pool)
    if (!this.json) this.out(this.table(['Setting', 'Value', 'What'], rows.map((r) => [r.name, r.value ?? this.c.dim('(not set)'), r.description])))
    return rows
  }
}
