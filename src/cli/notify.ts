import type {Pool} from 'mysql2/promise'

// The mailer and the sender load when there is something to send: most commands queue nothing.
import type {SmtpSettings} from '../requests/mailer.js'
import type {NotifyReport, QueuedBatch} from '../requests/notify.js'
import {plural} from '../text.js'

/** What a command offers to report on its notifications (BaseCommand has these). */
export interface NotifyReporter {
  config: {configDir: string}
  /** --profile / IPAM_PROFILE: SMTP settings may come from it. */
  readonly profileName?: string
  note(text: string): void
  warnUser(text: string): void
  addSecret(secret: string | undefined): void
}

const waitingNoted = new WeakSet<object>()

/** The SMTP settings of this run, their password registered for masking. */
export async function smtpOf(cmd: NotifyReporter): Promise<SmtpSettings | undefined> {
  const {resolveSmtp} = await import('../requests/mailer.js')
  const smtp = await resolveSmtp({configDir: cmd.config.configDir, profile: cmd.profileName})
  for (const s of smtp?.secrets ?? []) cmd.addSecret(s)
  return smtp
}

/**
 * Sends what a change queued, after its commit. A failed send is a warning,
 * never a failed command: the message stays for `ipam notify retry`.
 */
export async function notifyAfterCommit(cmd: NotifyReporter, pool: Pool, queued: QueuedBatch): Promise<NotifyReport | undefined> {
  if (queued.length === 0) return undefined
  let smtp: SmtpSettings | undefined
  try {
    smtp = await smtpOf(cmd)
  } catch (error) {
    cmd.warnUser(`notifications not sent: ${(error as Error).message}`)
    return {sent: 0, failed: [], waiting: queued.length, busy: 0}
  }
  const {sendQueued} = await import('../requests/notify.js')
  const report = await sendQueued(pool, queued, smtp)
  reportDelivery(cmd, report)
  return report
}

/** Warnings for what could not be sent; the note about an unconfigured server once per command. */
export function reportDelivery(cmd: NotifyReporter, report: NotifyReport): void {
  // One warning per command, however many ids the decision covered.
  const failed = report.failed
  if (failed.length === 1) cmd.warnUser(`notification #${failed[0].id} could not be sent (${failed[0].error}); it stays in the outbox for \`ipam notify retry\``)
  else if (failed.length > 1) cmd.warnUser(`${failed.length} notifications (#${failed.map((f) => f.id).join(', #')}) could not be sent (${failed[0].error}); they stay in the outbox for \`ipam notify retry\``)
  if (report.waitReason === 'server-down') cmd.note(`${plural(report.waiting, 'more notification')} left in the outbox untried: the SMTP server did not answer. Send them later with \`ipam notify retry\`.`)
  if (report.waitReason === 'no-smtp' && !waitingNoted.has(cmd)) {
    waitingNoted.add(cmd)
    cmd.note(`${plural(report.waiting, 'notification')} ${report.waiting === 1 ? 'waits' : 'wait'} in the outbox: no SMTP server is configured (IPAM_SMTP_URL or \`ipam config set smtp-url\`). Send them later with \`ipam notify retry\`.`)
  }
}

