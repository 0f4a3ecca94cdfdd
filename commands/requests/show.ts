import {Args} from '@oclif/core'

import {localFlag} from '../../src/cli/flags.js'
import {DbCommand} from '../../src/cli/db-command.js'
import {showRequest} from '../../src/requests/requests.js'
import {statusBadge} from '../../src/cli/requests.js'

export default class RequestsShow extends DbCommand<typeof RequestsShow> {
  static override summary = 'Show a request: network, whether the address is free, decision history'
  static override examples = ['<%= config.bin %> requests show 17', '<%= config.bin %> requests show 17 --json', '<%= config.bin %> requests show 3 --local']
  static override flags = {local: localFlag}
  static override args = {id: Args.string({required: true, description: 'request id'})}

  public async run() {
    const db = (await this.session({local: this.flags.local})).target
    const r = await showRequest(db.pool, this.args.id)
    if (!this.json) {
      this.out(this.fields([
        ['Request', `#${r.id}`],
        ['Status', statusBadge(r.status, this.c)],
        ['IP', r.ip],
        ['Network', r.orphaned ? `${r.network} (no longer exists)` : r.network],
        ['Orphaned', r.orphaned && r.status === 'PENDING' ? `yes: its network was removed; it can only be rejected (\`ipam requests reject ${r.id}\`)` : null],
        ['Address now', r.address ? `${r.address.status}${r.address.assignedTo ? ` to ${r.address.assignedTo}` : ''}` : 'free', {shrink: true}],
        ['Other requests', r.otherRequests.map((o) => `#${o.id}`)],
        ['Requester', r.email ?? r.requestedBy, {shrink: true}],
        ['Assign type', r.assignType],
        ['Region', r.region, {shrink: true}],
        ['IP range', r.ipRange],
        ['Description', r.description, {shrink: true}],
        ['Requested at', r.requestedAt],
        ['Decided', r.decidedBy ? `${r.status} by ${r.decidedBy} at ${r.decidedAt}` : null],
        ['Reason', r.reason, {shrink: true}],
      ]))
      if (r.history.length > 0) this.out(`\n${this.table(['When (UTC)', {header: 'Who', shrink: true}, {header: 'What', shrink: true}], r.history.map((h) => [h.at.slice(0, 19), h.by, h.action]))}`)
    }
    return r
  }
}
