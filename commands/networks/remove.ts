import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/base.js'
import {dryRunFlag, TYPED_CONFIRMATION_ABOVE, yesFlag} from '../../src/cli/flags.js'
import {confirmByTyping, confirmOrRefuse} from '../../src/cli/prompt.js'
import {planNetworkRemoval, removeNetwork} from '../../src/space/networks.js'

export default class NetworksRemove extends DbCommand<typeof NetworksRemove> {
  static override routeToMaster = true
  static override summary = 'Remove a network, with its ranges and the addresses only it holds'
  static override description = 'When the network still holds ranges or addresses it says what else goes and asks first (--yes skips the question; without a terminal --yes is required).'
  static override examples = ['<%= config.bin %> networks remove 192.0.2.0/24', '<%= config.bin %> networks remove 42 --yes']
  static override args = {network: Args.string({required: true, description: 'network id or CIDR'})}
  static override flags = {yes: yesFlag, 'dry-run': dryRunFlag}

  public async run() {
    const db = await this.db()
    const plan = await planNetworkRemoval(db.pool, this.args.network)
    if (this.flags['dry-run']) {
      if (!this.json) this.out(`Dry run: would remove network ${plan.network.cidr}, ${plan.ranges} range(s) and ${plan.addresses} address(es). Nothing was changed.`)
      return {dryRun: true, ...plan}
    }
    if (plan.addresses > 0 || plan.ranges > 0) {
      this.note(`Removing ${plan.network.cidr} also removes ${plan.ranges} range(s) and ${plan.addresses} address(es).`)
      // Many addresses: the name is typed, as for purge, so that a double Enter cannot remove them.
      if (plan.addresses > TYPED_CONFIRMATION_ABOVE) await confirmByTyping(`Type the network (${plan.network.cidr}) to remove it with its ${plan.addresses} address(es):`, plan.network.cidr, {yes: this.flags.yes, what: `removing ${plan.network.cidr}`})
      else await confirmOrRefuse(`Remove ${plan.network.cidr} with its ${plan.ranges} range(s) and ${plan.addresses} address(es)?`, {yes: this.flags.yes, what: `removing ${plan.network.cidr}`})
    }
    const result = await removeNetwork(db.pool, plan.network.id, plan)
    if (!this.json) this.out(`Removed network ${result.removed.cidr}, ${result.ranges} range(s) and ${result.addresses} address(es).`)
    return result
  }
}
