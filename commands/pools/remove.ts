import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {dryRunFlag, yesFlag} from '../../src/cli/flags.js'
import {confirmOrRefuse} from '../../src/cli/prompt.js'
import {planPoolRemoval, removePool} from '../../src/space/pools.js'
import {plural} from '../../src/text.js'

export default class PoolsRemove extends DbCommand<typeof PoolsRemove> {
  static override summary = 'Remove a pool with its ranges and their addresses'
  static override examples = ['<%= config.bin %> pools remove office', '<%= config.bin %> pools remove office --yes']
  static override args = {pool: Args.string({required: true, description: 'pool id or name'})}
  static override flags = {yes: yesFlag, 'dry-run': dryRunFlag}

  public async run() {
    const db = (await this.session()).target
    const plan = await planPoolRemoval(db.pool, this.args.pool)
    if (this.flags['dry-run']) {
      if (!this.json) this.out(`Dry run: would remove pool ${plan.pool.name}, ${plural(plan.ranges, 'range')} and ${plural(plan.addresses, 'address', 'addresses')}. Nothing was changed.`)
      return {dryRun: true, ...plan}
    }
    if (plan.addresses > 0 || plan.ranges > 0) {
      this.note(`Removing pool ${plan.pool.name} also removes ${plural(plan.ranges, 'range')} and ${plural(plan.addresses, 'address', 'addresses')}.`)
      await confirmOrRefuse(`Remove pool ${plan.pool.name} with its ${plural(plan.ranges, 'range')} and ${plural(plan.addresses, 'address', 'addresses')}?`, {yes: this.flags.yes, what: `removing pool ${plan.pool.name}`})
    }
    const result = await this.withProgress(`Removing pool ${plan.pool.name}`, (onProgress) => removePool(db.pool, plan.pool.id, plan, {onProgress}))
    if (!this.json) this.out(`Removed pool ${result.removed.name}, ${plural(result.ranges, 'range')} and ${plural(result.addresses, 'address', 'addresses')}.`)
    return result
  }
}
