import type {Pool} from 'mysql2/promise'

import type {Tx} from '../db/tx.js'

export interface OutboxMessage {
  kind: string
  recipient: string
  subject: string
  body: string
}

/**
 * Queues messages in the caller's transaction: they exist exactly when the
 * change does. Returns their ids, for sending right after the commit. One
 * INSERT each: on a cluster, ids of one multi-row INSERT are not consecutive.
 */
export async function enqueue(tx: Tx, messages: OutboxMessage[]): Promise<number[]> {
  const ids: number[] = []
  for (const m of messages) {
    const [res] = await tx.query<any>('INSERT INTO ipam_outbox (kind, recipient, subject, body) VALUES (?, ?, ?, ?)', [m.kind, m.recipient, m.subject.slice(0, 255), m.body])
    ids.push(Number(res.insertId))
  }
  return ids
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
