import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {getSetting, settingNameOk} from '../../src/admin/settings.js'
import {notFound} from '../../src/errors.js'

export default class SettingsGet extends DbCommand<typeof SettingsGet> {
  static override summary = 'Show one database-wide setting'
  static override examples = ['<%= config.bin %> settings get support-email']
  static override args = {name: Args.string({required: true})}

  public async run() {
    settingNameOk(this.args.name)
    const db = (await this.session()).target
    const value = await getSetting(db.pool, this.args.name)
    if (value === undefined) throw notFound(`${this.args.name} is not set`, `set it with: ipam settings set ${this.args.name} <value>`)
    if (!this.json) this.out(value)
    return {name: this.args.name, value}
  }
}
