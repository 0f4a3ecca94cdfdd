import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/base.js'
import {yesFlag} from '../../src/cli/flags.js'
import {confirmOrRefuse} from '../../src/cli/prompt.js'
import {planNetworkRemoval, removeNetwork} from '../../src/space/networks.js'

export default class NetworksRemove extends DbCommand<typeof NetworksRemove> {
  static override summary = 'Remove a network, with its ranges and the addresses only it holds'
  static override description = 'When the network still holds ranges or addresses it says what else goes and asks first (--yes skips the question; without a terminal --yes is required).'
  static override examples = ['<%= config.bin %> networks remove 192.0.2.0/24', '<%= config.bin %> networks remove 42 --yes']
  static override args = {network: Args.string({required: true, description: 'network id or CIDR'})}
  static override flags = {yes: yesFlag}

  public async run() {
    const db = (await this.session()).target
    const plan = await planNetworkRemoval(db.pool, this.args.network)
    if (plan.addresses > 0 || plan.ranges > 0) {
      this.note(`Removing ${plan.network.cidr} also removes ${plan.ranges} range(s) and ${plan.addresses} address(es).`)
      await confirmOrRefuse(`Remove ${plan.network.cidr} with its ${plan.ranges} range(s) and ${plan.addresses} address(es)?`, {yes: this.flags.yes, what: `removing ${plan.network.cidr}`})
    }
    const result = await removeNetwork(db.pool, plan.network.id, plan)
    if (!this.json) this.out(`Removed network ${result.removed.cidr}, ${result.ranges} range(s) and ${result.addresses} address(es).`)
    return result
  }
}
