import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {notifyAfterCommit} from '../../src/cli/notify.js'
import {osUser} from '../../src/admin/audit.js'
import {firstFailure, approveMany} from '../../src/requests/requests.js'
import {outcome} from '../../src/outcome.js'
import {checkText} from '../../src/text.js'

export default class RequestsApprove extends DbCommand<typeof RequestsApprove> {
  static override summary = 'Approve PENDING requests: each address becomes USED, assigned to its requester'
  static override description = 'Each id is decided on its own, with a result per id; the exit code is 0 only when all succeeded (else the first failure\'s code).'
  static override examples = ['<%= config.bin %> requests approve 17', '<%= config.bin %> requests approve 17 18 19 --by alice --json']
  static override strict = false
  static override args = {id: Args.string({required: true, description: 'request ids'})}
  static override flags = {by: Flags.string({description: 'who decides (default: the OS user)'})}

  public async run() {
    const {argv} = await this.parse(RequestsApprove)
    const by = checkText('--by', this.flags.by, 254) ?? osUser()
    const db = (await this.session()).target
    const {decisions: results, queued} = await approveMany(db.pool, argv as string[], by)
    if (!this.json) for (const r of results) (r.ok ? this.out.bind(this) : this.note.bind(this))(`${r.ok ? this.c.green('approved') : this.c.red('refused ')} ${r.ok ? r.message : `#${r.id}: ${r.message}`}`)
    await notifyAfterCommit(this, db.pool, queued)
    return outcome({results}, firstFailure(results))
  }
}
