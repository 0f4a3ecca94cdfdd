import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/base.js'
import {release} from '../../src/space/addresses.js'

export default class IpsRelease extends DbCommand<typeof IpsRelease> {
  static override summary = 'Release addresses (all or nothing)'
  static override examples = ['<%= config.bin %> ips release 192.0.2.50', '<%= config.bin %> ips release 192.0.2.50 192.0.2.51 2001:db8::10 --json']
  static override strict = false
  static override args = {ip: Args.string({required: true, description: 'addresses to release'})}

  public async run() {
    const {argv} = await this.parse(IpsRelease)
    const db = (await this.session()).target
    const released = await release(db.pool, argv as string[])
    if (!this.json) this.out(`Released ${released.map((r) => r.address).join(', ')}.`)
    return released
  }
}
