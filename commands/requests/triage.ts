import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {confirmationRequired} from '../../src/errors.js'
import {osUser} from '../../src/admin/audit.js'
import {notifyAfterCommit} from '../../src/cli/notify.js'
import {statusBadge} from '../../src/cli/requests.js'
import {runTriage} from '../../src/cli/triage.js'
import {unicodeTerminal} from '../../src/cli/output.js'
import {isInteractive} from '../../src/cli/prompt.js'
import {outcome} from '../../src/outcome.js'
import {checkText} from '../../src/text.js'

export default class RequestsTriage extends DbCommand<typeof RequestsTriage> {
  static override summary = 'Decide PENDING requests one by one, oldest first: approve, reject (with a reason), skip or quit'
  static override description = 'Interactive: needs a terminal. One key decides: a approve, r reject, s skip, q quit; Enter alone decides nothing, and keys typed before a card shows are ignored. In scripts use `ipam requests approve <id>` and `ipam requests reject <id>`.'
  static override examples = ['<%= config.bin %> requests triage', '<%= config.bin %> requests triage --network 192.0.2.0/24 --region eu-west']
  static override flags = {
    network: Flags.string({description: 'only this network (id or CIDR)'}),
    region: Flags.string({description: 'only this region'}),
    by: Flags.string({description: 'who decides (default: the OS user)'}),
  }

  public async run() {
    if (!isInteractive()) {
      throw confirmationRequired('triage is interactive and there is no terminal', 'in scripts use `ipam requests approve <id>…` or `ipam requests reject <id>… --reason …`')
    }
    const by = checkText('--by', this.flags.by, 254) ?? osUser()
    const db = (await this.session()).target
    const c = this.c
    const {outcomes, total, interrupted} = await runTriage({
      pool: db.pool, filter: {network: this.flags.network, region: this.flags.region}, by, c, color: this.useColor, unicode: unicodeTerminal(),
      notify: (queued) => notifyAfterCommit(this, db.pool, queued),
    })
    if (total === 0) {
      this.note('No PENDING requests. Nothing to triage.')
      return {outcomes: [], left: 0}
    }
    const counts = (d: string) => outcomes.filter((o) => o.decision === d).length
    const left = total - outcomes.length
    if (!this.json) {
      this.out(`\n${c.bold('Triage summary')}: ${counts('approved')} approved, ${counts('rejected')} rejected, ${counts('skipped')} skipped, ${counts('refused') + counts('already decided')} not decided, ${left} left${interrupted ? ' (interrupted)' : ''}`)
      if (outcomes.length > 0) this.out(this.table(['ID', 'IP', 'Decision', {header: 'Note', shrink: true}], outcomes.map((o) => [o.id, o.ip, o.decision === 'approved' ? statusBadge('APPROVED', c) : o.decision === 'rejected' ? statusBadge('REJECTED', c) : o.decision, o.note])))
    }
    return outcome({outcomes, left}, interrupted ? 'interrupted' : undefined)
  }
}
