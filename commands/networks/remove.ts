import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/base.js'
import {notifyAfterCommit} from '../../src/cli/notify.js'
import {yesFlag} from '../../src/cli/flags.js'
import {confirmOrRefuse} from '../../src/cli/prompt.js'
import {planNetworkRemoval, removeNetwork} from '../../src/space/networks.js'
import {addressCount, rangeCount, requestCount} from '../../src/text.js'

export default class NetworksRemove extends DbCommand<typeof NetworksRemove> {
  static override summary = 'Remove a network, with its ranges and the addresses only it holds'
  static override description = 'Its PENDING requests are rejected (reason "network removed", each requester told). When the network still holds ranges, addresses or PENDING requests it says what else goes and asks first (--yes skips the question; without a terminal --yes is required).'
  static override examples = ['<%= config.bin %> networks remove 192.0.2.0/24', '<%= config.bin %> networks remove 42 --yes']
  static override args = {network: Args.string({required: true, description: 'network id or CIDR'})}
  static override flags = {yes: yesFlag}

  public async run() {
    const db = (await this.session()).target
    const plan = await planNetworkRemoval(db.pool, this.args.network)
    const what = (p: {ranges: number; addresses: number}) => `${rangeCount(p.ranges)} and ${addressCount(p.addresses)}`
    if (plan.addresses > 0 || plan.ranges > 0 || plan.requests > 0) {
      this.note(`Removing ${plan.network.cidr} also removes ${what(plan)}${plan.requests === 0 ? '' : ` and rejects ${requestCount(plan.requests)} ("network removed")`}.`)
      await confirmOrRefuse(`Remove ${plan.network.cidr} with its ${what(plan)}${plan.requests === 0 ? '' : `, rejecting ${requestCount(plan.requests)}`}?`, {yes: this.flags.yes, what: `removing ${plan.network.cidr}`})
    }
    const spinner = this.spinner()
    spinner.start(`Removing ${plan.network.cidr}`)
    const {queued, ...result} = await removeNetwork(db.pool, plan.network.id, plan).finally(() => spinner.stop())
    if (!this.json) this.out(`Removed network ${result.removed.cidr}, ${what(result)}${result.requests === 0 ? '' : `; rejected ${requestCount(result.requests)}`}.`)
    await notifyAfterCommit(this, db.pool, queued)
    return result
  }
}
