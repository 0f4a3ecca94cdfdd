import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {setSetting} from '../../src/admin/settings.js'

export default class SettingsSet extends DbCommand<typeof SettingsSet> {
  static override summary = 'Set a database-wide setting (support-email, utilization-warn, utilization-critical)'
  static override examples = ['<%= config.bin %> settings set support-email noc@example.com', '<%= config.bin %> settings set utilization-warn 70']
  static override args = {name: Args.string({required: true}), value: Args.string({required: true})}

  public async run() {
    const db = (await this.session()).target
    const s = await setSetting(db.pool, this.args.name, this.args.value)
    if (!this.json) this.out(`${s.name} = ${s.value}`)
    return s
  }
}
