import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {release} from '../../src/space/addresses.js'
import {dryRunFlag} from '../../src/cli/flags.js'
import {plural} from '../../src/text.js'

export default class IpsRelease extends DbCommand<typeof IpsRelease> {
  static override summary = 'Release addresses (all or nothing)'
  static override examples = ['<%= config.bin %> ips release 192.0.2.50', '<%= config.bin %> ips release 192.0.2.50 192.0.2.51 2001:db8::10 --json', '<%= config.bin %> ips release 192.0.2.50 --dry-run']
  static override flags = {'dry-run': dryRunFlag}
  static override strict = false
  static override args = {ip: Args.string({required: true, description: 'addresses to release'})}

  public async run() {
    const {argv} = await this.parse(IpsRelease)
    const db = (await this.session()).target
    const dryRun = this.flags['dry-run']
    const released = await release(db.pool, argv as string[], {dryRun})
    if (!this.json) this.out(dryRun ? `Dry run: would release ${plural(released.length, 'address', 'addresses')}: ${released.map((r) => r.address).join(', ')}. Nothing was changed.` : `Released ${released.map((r) => r.address).join(', ')}.`)
    return dryRun ? {dryRun: true, wouldRelease: released} : released
  }
}
