import {DbCommand} from '../../src/cli/base.js'
import {conflict} from '../../src/errors.js'
import {deliver} from '../../src/requests/outbox.js'

export default class NotifyRetry extends DbCommand<typeof NotifyRetry> {
  static override summary = 'Send the notifications still waiting or failed (each at most once, even with two retries at once)'
  static override examples = ['IPAM_SMTP_URL=smtp://mail.example.com:25 <%= config.bin %> notify retry', '<%= config.bin %> notify retry --json']

  public async run() {
    const db = (await this.session()).target
    const mailer = await this.mailer()
    if (!mailer) throw conflict('no_smtp', 'no SMTP server is configured', 'set IPAM_SMTP_URL (and IPAM_MAIL_FROM) or `ipam config set smtp-url smtp://host:25`')
    const report = await deliver(db.pool, mailer)
    if (!this.json) {
      this.out(`Sent ${report.sent} notification(s)${report.failed.length > 0 ? `, ${report.failed.length} failed again` : ''}.`)
      for (const f of report.failed) this.warnUser(`#${f.id}: ${f.error}`)
    }
    if (report.failed.length > 0) process.exitCode = 4
    return report
  }
}
