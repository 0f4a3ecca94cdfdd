import {randomUUID} from 'node:crypto'
import type {Pool} from 'mysql2/promise'

import {SendError, sendMessage, type SmtpSettings} from './mailer.js'

/** Outbox ids a change queued in its transaction, to be sent after its commit. */
export type QueuedBatch = number[]

export interface NotifyReport {
  sent: number
  failed: {id: number; error: string}[]
  /** Left in the outbox for `ipam notify retry`: no SMTP configured, or the server stopped answering. */
  waiting: number
  /** Why messages wait, when they do. */
  waitReason?: 'no-smtp' | 'server-down'
  /** Being sent by another run right now (its claim has not expired). */
  busy: number
}

/**
 * A message is claimable when PENDING or FAILED, or SENDING under a claim
 * that has expired: its sender died mid-send (killed, machine lost), and a
 * live sender gives up on a message by `claim_expires_at`, so after that time
 * nobody is sending it any more.
 */
const CLAIMABLE = "(status IN ('PENDING', 'FAILED') OR (status = 'SENDING' AND claim_expires_at < CURRENT_TIMESTAMP(6)))"

/**
 * Sends queued messages after commit: `batch` is what a change queued, `'all'`
 * every claimable message (`ipam notify retry`). Each message is claimed with
 * a conditional UPDATE (by this run's token, until `sendTimeout` from now), so
 * two runs at once never send the same message, and a run killed mid-send
 * leaves a claim that expires. A refused message goes back to FAILED with its
 * error; when the server cannot be reached (or stops answering) the rest are
 * left untouched rather than each waiting out its own timeout.
 */
export async function sendQueued(pool: Pool, batch: QueuedBatch | 'all', smtp: SmtpSettings | undefined): Promise<NotifyReport> {
  const report: NotifyReport = {sent: 0, failed: [], waiting: 0, busy: 0}
  if (batch !== 'all' && batch.length === 0) return report
  const [rows] = batch === 'all'
    ? await pool.query<any[]>(`SELECT id, recipient, subject, body, ${CLAIMABLE} AS claimable FROM ipam_outbox WHERE status <> 'SENT' ORDER BY id`)
    : await pool.query<any[]>(`SELECT id, recipient, subject, body, ${CLAIMABLE} AS claimable FROM ipam_outbox WHERE id IN (?) AND status <> 'SENT' ORDER BY id`, [batch])
  const todo = rows.filter((r) => Number(r.claimable) === 1)
  report.busy = rows.length - todo.length
  if (!smtp) {
    report.waiting = todo.length
    if (todo.length > 0) report.waitReason = 'no-smtp'
    return report
  }
  const token = randomUUID()
  for (const [index, m] of todo.entries()) {
    const [claim] = await pool.query<any>(
      `UPDATE ipam_outbox SET status = 'SENDING', claimed_by = ?, claimed_at = CURRENT_TIMESTAMP(6), claim_expires_at = CURRENT_TIMESTAMP(6) + INTERVAL ? MICROSECOND, attempts = attempts + 1 WHERE id = ? AND ${CLAIMABLE}`,
      // a margin past the send deadline for this run to record the outcome
      [token, (smtp.timeouts.sendTimeout + 5000) * 1000, m.id],
    )
    if (claim.affectedRows !== 1) {
      report.busy++
      continue
    }
    try {
      await sendMessage(smtp, {to: m.recipient, subject: m.subject, text: m.body})
      await pool.query("UPDATE ipam_outbox SET status = 'SENT', sent_at = CURRENT_TIMESTAMP(6), last_error = NULL, claim_expires_at = NULL WHERE id = ? AND claimed_by = ?", [m.id, token])
      report.sent++
    } catch (error) {
      const message = String((error as Error).message ?? error).slice(0, 1000)
      await pool.query("UPDATE ipam_outbox SET status = 'FAILED', last_error = ?, claim_expires_at = NULL WHERE id = ? AND claimed_by = ?", [message, m.id, token])
      report.failed.push({id: Number(m.id), error: message})
      if (error instanceof SendError && error.connection) {
        report.waiting = todo.length - index - 1
        if (report.waiting > 0) report.waitReason = 'server-down'
        break
      }
    }
  }
  return report
}
