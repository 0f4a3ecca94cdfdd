import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {humanCount} from '../../src/cli/output.js'
import {networkFree} from '../../src/space/free.js'

export default class NetworksFree extends DbCommand<typeof NetworksFree> {
  static override summary = 'Show the free space of a network (what no child network covers) as the minimal list of CIDRs'
  static override examples = [
    '<%= config.bin %> networks free 10.0.0.0/16',
    '<%= config.bin %> networks free 10.0.0.0/16 --prefix 24',
    '<%= config.bin %> networks free 2001:db8::/48 --prefix 64 --json',
  ]
  static override args = {network: Args.string({required: true, description: 'network id or CIDR'})}
  static override flags = {
    prefix: Flags.integer({description: 'also count the free blocks of this length and show the first few'}),
    first: Flags.integer({description: 'with --prefix: how many of the free blocks to show (default 10)', dependsOn: ['prefix']}),
  }

  public async run() {
    const db = (await this.session()).target
    const r = await networkFree(db.pool, this.args.network, {prefix: this.flags.prefix, first: this.flags.first})
    if (!this.json) {
      if ('fit' in r) {
        this.out(`${humanCount(r.fit)} free /${r.prefix} block${r.fit === '1' ? '' : 's'} in ${r.network.cidr}${r.first.length > 0 ? `; the first ${r.first.length}:` : '.'}`)
        for (const c of r.first) this.out(c)
      } else {
        for (const c of r.free) this.out(c)
        this.note(r.blocks === 0 ? `${r.network.cidr} is fully covered by its child networks.` : `${humanCount(r.addresses)} free addresses in ${r.blocks} block${r.blocks === 1 ? '' : 's'}; the largest is ${r.largest}.`)
      }
    }
    return r
  }
}
