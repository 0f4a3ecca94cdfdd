import {DbCommand} from '../../src/cli/db-command.js'
import {reportDelivery, smtpOf} from '../../src/cli/notify.js'
import {usage} from '../../src/errors.js'
import {outcome} from '../../src/outcome.js'
import {sendQueued} from '../../src/requests/notify.js'
import {plural} from '../../src/text.js'

export default class NotifyRetry extends DbCommand<typeof NotifyRetry> {
  static override summary = 'Send the notifications still waiting or failed (each at most once, even with two retries at once)'
  static override description = 'Also sends a message whose sender died mid-send, once its claim has expired (sendTimeout, 30 s by default, plus 5 s). Exit 5 when the SMTP server refused or did not answer (the messages stay for the next retry); exit 2 when no SMTP server is configured.'
  static override examples = ['IPAM_SMTP_URL=smtp://mail.example.com:25 <%= config.bin %> notify retry', '<%= config.bin %> notify retry --json']

  public async run() {
    const db = (await this.session()).target
    const smtp = await smtpOf(this)
    if (!smtp) throw usage('no SMTP server is configured', 'set IPAM_SMTP_URL (and IPAM_MAIL_FROM), or `ipam config set smtp-url smtp://host:25` (and `ipam config set mail-from ipam@example.com`)')
    const report = await sendQueued(db.pool, 'all', smtp)
    if (!this.json) {
      this.out(`Sent ${plural(report.sent, 'notification')}${report.failed.length > 0 ? `, ${report.failed.length} failed again` : ''}.`)
      reportDelivery(this, report)
      if (report.busy > 0) this.note(`${plural(report.busy, 'notification')} ${report.busy === 1 ? 'is' : 'are'} being sent by another run; a claim left by a run that died expires after its send timeout.`)
    }
    // The server refused or did not answer: it is unavailable, the messages wait (exit 5).
    return outcome(report, report.failed.length > 0 ? 'unavailable' : undefined)
  }
}
