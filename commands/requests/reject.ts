import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {notifyAfterCommit} from '../../src/cli/notify.js'
import {osUser} from '../../src/admin/audit.js'
import {firstFailure, rejectMany} from '../../src/requests/requests.js'
import {outcome} from '../../src/outcome.js'
import {checkText} from '../../src/text.js'

export default class RequestsReject extends DbCommand<typeof RequestsReject> {
  static override summary = 'Reject PENDING requests, with an optional reason'
  static override examples = ['<%= config.bin %> requests reject 17 --reason "use DHCP instead"', '<%= config.bin %> requests reject 17 18 --json']
  static override strict = false
  static override args = {id: Args.string({required: true, description: 'request ids'})}
  static override flags = {reason: Flags.string({description: 'told to the requester'}), by: Flags.string({description: 'who decides (default: the OS user)'})}

  public async run() {
    const {argv} = await this.parse(RequestsReject)
    const by = checkText('--by', this.flags.by, 254) ?? osUser()
    const db = (await this.session()).target
    const {decisions: results, queued} = await rejectMany(db.pool, argv as string[], this.flags.reason, by)
    if (!this.json) for (const r of results) (r.ok ? this.out.bind(this) : this.note.bind(this))(`${r.ok ? this.c.red('rejected') : this.c.red('refused ')} ${r.ok ? r.message : `#${r.id}: ${r.message}`}`)
    await notifyAfterCommit(this, db.pool, queued)
    return outcome({results}, firstFailure(results))
  }
}
