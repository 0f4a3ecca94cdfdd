import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {yesFlag} from '../../src/cli/flags.js'
import {confirmByTyping, confirmOrRefuse} from '../../src/cli/prompt.js'
import {masterReachable, removeIntegration} from '../../src/integration/manage.js'

export default class IntegrationRemove extends DbCommand<typeof IntegrationRemove> {
  static override summary = 'Unregister this platform from its master'
  static override description = 'The address space stays on the master; this platform is left with none. When the master is gone for good, --force detaches the platform without it: you type the database name to confirm (or pass --yes).'
  static override examples = ['<%= config.bin %> integration remove', '<%= config.bin %> integration remove --yes', '<%= config.bin %> integration remove --force   # the master is gone for good']
  static override flags = {
    yes: yesFlag,
    force: Flags.boolean({description: 'detach even when the master cannot be reached (its address space is then lost to this platform)'}),
  }

  public async run() {
    const db = await this.db()
    const password = await this.masterPassword()
    const link = await masterReachable(db, {masterPassword: password})
    if (this.flags.force && !link.reachable) {
      const name = db.url.database ?? ''
      this.warnUser(`the master ${link.master} cannot be used (${link.error}). Detaching without it:\n` +
        (link.state === 'JOINED'
          ? `  - the address space (networks, pools, ranges, addresses, pending requests) lives on that master: this database will have none, and nothing here can bring it back;\n` +
            `  - the backup written when it joined is the only copy you hold (\`ipam restore\` it to start over standalone);\n`
          : `  - the join was not finished: this database keeps what it still holds;\n`) +
        `  - should the master come back, it still lists this platform (remove it there by hand).`)
      await confirmByTyping(`Type the database name (${name}) to detach it from its master for good:`, name, {yes: this.flags.yes, what: 'integration remove --force'})
    } else {
      this.warnUser(`the address space stays on ${link.master}; this database will have none of its own.`)
      await confirmOrRefuse(`Unregister this platform from ${link.master}?`, {yes: this.flags.yes, what: 'integration remove'})
    }
    const result = await removeIntegration(db, {masterPassword: password, force: this.flags.force && !link.reachable})
    if (!this.json) {
      this.out(result.cancelled
        ? `Cancelled the unfinished join to ${result.master}; this database keeps its address space.`
        : result.forced
          ? `Detached from ${result.master} without it. This database is standalone${link.state === 'JOINED' ? ', with an empty address space' : ''}.`
          : `Unregistered from ${result.master}. This database is standalone, with an empty address space.`)
    }
    return result
  }
}
