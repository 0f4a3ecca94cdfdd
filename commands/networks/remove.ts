import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {notifyAfterCommit} from '../../src/cli/notify.js'
import {dryRunFlag, TYPED_CONFIRMATION_ABOVE, yesFlag} from '../../src/cli/flags.js'
import {confirmByTyping, confirmOrRefuse} from '../../src/cli/prompt.js'
import {planNetworkRemoval, removeNetwork} from '../../src/space/networks.js'
import {addressCount, rangeCount, requestCount} from '../../src/text.js'

export default class NetworksRemove extends DbCommand<typeof NetworksRemove> {
  static override summary = 'Remove a network, with its ranges and the addresses only it holds'
  static override description = 'Its PENDING requests are rejected (reason "network removed", each requester told). When the network still holds ranges, addresses or PENDING requests it says what else goes and asks first (--yes skips the question; without a terminal --yes is required).'
  static override examples = ['<%= config.bin %> networks remove 192.0.2.0/24', '<%= config.bin %> networks remove 42 --yes']
  static override args = {network: Args.string({required: true, description: 'network id or CIDR'})}
  static override flags = {yes: yesFlag, 'dry-run': dryRunFlag}

  public async run() {
    const db = (await this.session()).target
    const plan = await planNetworkRemoval(db.pool, this.args.network)
    const what = (p: {ranges: number; addresses: number}) => `${rangeCount(p.ranges)} and ${addressCount(p.addresses)}`
    const rejects = (p: {requests: number}) => (p.requests === 0 ? '' : ` and reject ${requestCount(p.requests)} ("network removed")`)
    if (this.flags['dry-run']) {
      if (!this.json) this.out(`Dry run: would remove network ${plan.network.cidr}, ${what(plan)}${rejects(plan)}. Nothing was changed.`)
      return {dryRun: true, ...plan}
    }
    if (plan.addresses > 0 || plan.ranges > 0 || plan.requests > 0) {
      this.note(`Removing ${plan.network.cidr} also removes ${what(plan)}${plan.requests === 0 ? '' : ` and rejects ${requestCount(plan.requests)} ("network removed")`}.`)
      // Many addresses: the name is typed, as for purge, so that a double Enter cannot remove them.
      if (plan.addresses > TYPED_CONFIRMATION_ABOVE) await confirmByTyping(`Type the network (${plan.network.cidr}) to remove it with its ${what(plan)}:`, plan.network.cidr, {yes: this.flags.yes, what: `removing ${plan.network.cidr}`})
      else await confirmOrRefuse(`Remove ${plan.network.cidr} with its ${what(plan)}${plan.requests === 0 ? '' : `, rejecting ${requestCount(plan.requests)}`}?`, {yes: this.flags.yes, what: `removing ${plan.network.cidr}`})
    }
    const {queued, ...result} = await this.withProgress(`Removing ${plan.network.cidr}`, (onProgress) => removeNetwork(db.pool, plan.network.id, plan, {onProgress}))
    if (!this.json) this.out(`Removed network ${result.removed.cidr}, ${what(result)}${result.requests === 0 ? '' : `; rejected ${requestCount(result.requests)}`}.`)
    await notifyAfterCommit(this, db.pool, queued)
    return result
  }
}
