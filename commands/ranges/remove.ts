import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {dryRunFlag, yesFlag} from '../../src/cli/flags.js'
import {confirmOrRefuse} from '../../src/cli/prompt.js'
import {planRangeRemoval, removeRange} from '../../src/space/ranges.js'
import {plural} from '../../src/text.js'

export default class RangesRemove extends DbCommand<typeof RangesRemove> {
  static override summary = 'Remove an address block and the addresses in it'
  static override examples = ['<%= config.bin %> ranges remove 12', '<%= config.bin %> ranges remove 12 --yes --json']
  static override args = {id: Args.string({required: true, description: 'range id (see `ipam ranges list`)'})}
  static override flags = {yes: yesFlag, 'dry-run': dryRunFlag}

  public async run() {
    const db = (await this.session()).target
    const plan = await planRangeRemoval(db.pool, this.args.id)
    if (this.flags['dry-run']) {
      if (!this.json) this.out(`Dry run: would remove range ${plan.range.range} from pool ${plan.range.pool} and release ${plural(plan.addresses, 'address', 'addresses')}. Nothing was changed.`)
      return {dryRun: true, ...plan}
    }
    if (plan.addresses > 0) {
      this.note(`Removing range ${plan.range.range} of pool ${plan.range.pool} also releases its ${plural(plan.addresses, 'address', 'addresses')}.`)
      await confirmOrRefuse(`Remove range ${plan.range.range} and release its ${plural(plan.addresses, 'address', 'addresses')}?`, {yes: this.flags.yes, what: `removing range ${plan.range.id}`})
    }
    const result = await removeRange(db.pool, this.args.id, plan)
    if (!this.json) this.out(`Removed range ${result.removed.range} from pool ${result.removed.pool}${result.addresses > 0 ? ` and released ${plural(result.addresses, 'address', 'addresses')}` : ''}.`)
    return result
  }
}
