import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {humanCount} from '../../src/cli/output.js'
import {poolFree} from '../../src/space/free.js'

export default class PoolsFree extends DbCommand<typeof PoolsFree> {
  static override summary = "List a pool's free addresses as ranges and CIDRs"
  static override description = 'Free means next-free could still hand it out: no address row, not a network, broadcast or gateway address, and no PENDING request for it.'
  static override examples = ['<%= config.bin %> pools free office', '<%= config.bin %> pools free 3 --json']
  static override args = {pool: Args.string({required: true, description: 'pool id or name'})}

  public async run() {
    const db = (await this.session()).target
    const r = await poolFree(db.pool, this.args.pool)
    if (!this.json) {
      if (r.ranges.length > 0) this.out(this.table(['Free range', {header: 'Size', align: 'right'}, 'CIDRs', 'Network'], r.ranges.map((g) => [g.range, humanCount(g.size), g.cidrs.join(' '), g.network])))
      this.note(`${humanCount(r.addresses)} free address${r.addresses === '1' ? '' : 'es'} in pool ${r.pool.name}${r.ranges.length > 0 ? `, ${r.ranges.length} range${r.ranges.length === 1 ? '' : 's'}` : ''}.`)
    }
    return r
  }
}
