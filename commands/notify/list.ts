import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {listOutbox} from '../../src/requests/outbox.js'
import {listFlags} from '../../src/cli/listing.js'

export default class NotifyList extends DbCommand<typeof NotifyList> {
  static override summary = 'List the notification outbox'
  static override examples = ['<%= config.bin %> notify list', '<%= config.bin %> notify list --status FAILED --json']
  static override flags = {
    status: Flags.string({options: ['PENDING', 'SENDING', 'SENT', 'FAILED', 'ALL'], default: 'ALL'}),
    limit: Flags.integer({min: 1, default: 100}),
    ...listFlags,
  }

  public async run() {
    const db = (await this.session()).target
    const rows = await listOutbox(db.pool, {status: this.flags.status, limit: this.flags.limit})
    if (!this.json) {
      if (rows.length === 0) this.note('The outbox is empty.')
      else await this.list([{header: 'ID'}, {header: 'Queued (UTC)'}, {header: 'To', shrink: true}, {header: 'Subject', shrink: true}, {header: 'Status'}, {header: 'Tries', align: 'right', optional: true}, {header: 'Last error', shrink: true}], rows.map((r) => [r.id, r.createdAt.slice(0, 19), r.recipient, r.subject, r.status, r.attempts, r.lastError ?? '']))
    }
    return rows
  }
}
