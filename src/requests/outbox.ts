import {randomUUID} from 'node:crypto'
import type {Pool} from 'mysql2/promise'

import type {Tx} from '../db/tx.js'

export interface OutboxMessage {
  kind: string
  recipient: string
  subject: string
  body: string
}

/** Queues a message in the caller's transaction: it exists exactly when the change does. */
export async function enqueue(tx: Tx, m: OutboxMessage): Promise<void> {
  await tx.query('INSERT INTO ipam_outbox (kind, recipient, subject, body) VALUES (?, ?, ?, ?)', [m.kind, m.recipient, m.subject.slice(0, 255), m.body])
}

/** Queues many messages with one statement, in the caller's transaction. */
export async function enqueueMany(tx: Tx, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return
  await tx.query('INSERT INTO ipam_outbox (kind, recipient, subject, body) VALUES ?', [messages.map((m) => [m.kind, m.recipient, m.subject.slice(0, 255), m.body])])
}

export interface Mailer {
  from: string
  send(m: {to: string; subject: string; text: string; from: string}): Promise<void>
}

export interface DeliveryReport {
  sent: number
  failed: {id: number; error: string}[]
  /** Messages left waiting because no SMTP server is configured. */
  waiting: number
}

/**
 * Sends queued messages after commit. Each message is claimed with a
 * conditional UPDATE (PENDING/FAILED -> SENDING by this run's token), so two
 * runs at once never send the same message; a failed send goes back to
 * FAILED with its error, to be retried by `ipam notify retry`.
 */
export async function deliver(pool: Pool, mailer: Mailer | undefined, opts: {ids?: number[]} = {}): Promise<DeliveryReport> {
  const report: DeliveryReport = {sent: 0, failed: [], waiting: 0}
  const filter = opts.ids ? (opts.ids.length === 0 ? 'AND FALSE' : 'AND id IN (?)') : ''
  const params = opts.ids && opts.ids.length > 0 ? [opts.ids] : []
  const [rows] = await pool.query<any[]>(`SELECT id, recipient, subject, body FROM ipam_outbox WHERE status IN ('PENDING', 'FAILED') ${filter} ORDER BY id`, params)
  if (!mailer) {
    report.waiting = rows.length
    return report
  }
  const token = randomUUID()
  for (const m of rows) {
    const [claim] = await pool.query<any>(
      "UPDATE ipam_outbox SET status = 'SENDING', claimed_by = ?, claimed_at = CURRENT_TIMESTAMP(6), attempts = attempts + 1 WHERE id = ? AND status IN ('PENDING', 'FAILED')",
      [token, m.id],
    )
    if (claim.affectedRows !== 1) continue
    try {
      await mailer.send({from: mailer.from, to: m.recipient, subject: m.subject, text: m.body})
      await pool.query("UPDATE ipam_outbox SET status = 'SENT', sent_at = CURRENT_TIMESTAMP(6), last_error = NULL WHERE id = ? AND claimed_by = ?", [m.id, token])
      report.sent++
    } catch (error) {
      const message = String((error as Error).message ?? error).slice(0, 1000)
      await pool.query("UPDATE ipam_outbox SET status = 'FAILED', last_error = ? WHERE id = ? AND claimed_by = ?", [message, m.id, token])
      report.failed.push({id: Number(m.id), error: message})
    }
  }
  return report
}

export async function listOutbox(pool: Pool, opts: {status?: string; limit?: number} = {}) {
  const params: unknown[] = []
  let where = ''
  if (opts.status && opts.status !== 'ALL') {
    where = 'WHERE status = ?'
    params.push(opts.status)
  }
  params.push(opts.limit ?? 100)
  const [rows] = await pool.query<any[]>(`SELECT id, created_at, kind, recipient, subject, status, attempts, last_error, sent_at FROM ipam_outbox ${where} ORDER BY id DESC LIMIT ?`, params)
  return rows.map((r) => ({id: Number(r.id), createdAt: r.created_at, kind: r.kind, recipient: r.recipient, subject: r.subject, status: r.status, attempts: Number(r.attempts), lastError: r.last_error, sentAt: r.sent_at}))
}

/** Ids queued since (and including) `fromId`, for sending right after a command's commit. */
export async function queuedSince(pool: Pool, fromId: number): Promise<number[]> {
  const [rows] = await pool.query<any[]>("SELECT id FROM ipam_outbox WHERE id >= ? AND status = 'PENDING' ORDER BY id", [fromId])
  return rows.map((r) => Number(r.id))
}
