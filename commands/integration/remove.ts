import {DbCommand} from '../../src/cli/base.js'
import {yesFlag} from '../../src/cli/flags.js'
import {confirmOrRefuse} from '../../src/cli/prompt.js'
import {integrationStatus, removeIntegration} from '../../src/integration/manage.js'
import {notFound} from '../../src/errors.js'

export default class IntegrationRemove extends DbCommand<typeof IntegrationRemove> {
  static override summary = 'Unregister this platform from its master'
  static override description = 'The address space stays on the master; this platform is left with none.'
  static override examples = ['<%= config.bin %> integration remove', '<%= config.bin %> integration remove --yes']
  static override flags = {yes: yesFlag}

  public async run() {
    const db = await this.db()
    const s = await integrationStatus(db)
    if (s.role !== 'platform') throw notFound('this database is not a platform of any master', 'see `ipam integration status`')
    this.warnUser(`the address space stays on ${s.master}; this database will have none of its own.`)
    await confirmOrRefuse(`Unregister this platform from ${s.master}?`, {yes: this.flags.yes, what: 'integration remove'})
    const result = await removeIntegration(db)
    if (!this.json) this.out(result.cancelled ? `Cancelled the unfinished join to ${result.master}; this database keeps its address space.` : `Unregistered from ${result.master}. This database is standalone, with an empty address space.`)
    return result
  }
}
