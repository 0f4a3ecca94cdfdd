import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {humanCount} from '../../src/cli/output.js'
import {addRange} from '../../src/space/ranges.js'

export default class RangesAdd extends DbCommand<typeof RangesAdd> {
  static override summary = 'Add an address block to a pool: start-end, a CIDR, or one address'
  static override description = 'The block must lie inside one network and overlap no other block of any pool.'
  static override examples = ['<%= config.bin %> ranges add office 192.0.2.10-192.0.2.200', '<%= config.bin %> ranges add office 198.51.100.0/25', '<%= config.bin %> ranges add vms-v6 2001:db8:10::/64 --json']
  static override args = {pool: Args.string({required: true, description: 'pool id or name'}), range: Args.string({required: true, description: 'start-end, CIDR or address'})}

  public async run() {
    const db = (await this.session()).target
    const r = await addRange(db.pool, this.args.pool, this.args.range)
    if (!this.json) this.out(`Added range ${r.range} (id ${r.id}, ${humanCount(r.size)} ${String(r.size) === '1' ? 'address' : 'addresses'}, ${humanCount(r.usable)} usable) to pool ${r.pool}, in network ${r.network}.`)
    return r
  }
}
