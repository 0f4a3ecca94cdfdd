import type {Pool} from 'mysql2/promise'

import type {Tx} from '../db/tx.js'

export interface OutboxMessage {
  kind: string
  recipient: string
  subject: string
  body: string
}

/** Messages one multi-row INSERT takes; fewer than MANY go one INSERT each. */
const CHUNK = 500
const MANY = 8

/**
 * Queues messages in the caller's transaction: they exist exactly when the
 * change does. Returns their ids, for sending right after the commit.
 *
 * A few go one INSERT each. Many (a batch of decisions) go in multi-row
 * INSERTs, whose ids are not always consecutive (on a cluster they step by the
 * node count, and with innodb_autoinc_lock_mode=2 another writer's rows can
 * fall between them): each chunk's rows are read back from its first id on,
 * matched to the messages in order by kind, recipient and subject, which
 * (naming the request) no other writer's message shares. A message whose id
 * were not found would still be sent, by the next `notify retry`.
 */
export async function enqueue(tx: Tx, messages: OutboxMessage[]): Promise<number[]> {
  const ids: number[] = []
  const row = (m: OutboxMessage) => [m.kind, m.recipient, m.subject.slice(0, 255), m.body]
  if (messages.length < MANY) {
    for (const m of messages) {
      const [res] = await tx.query<any>('INSERT INTO ipam_outbox (kind, recipient, subject, body) VALUES (?, ?, ?, ?)', row(m))
      ids.push(Number(res.insertId))
    }
    return ids
  }
  for (let i = 0; i < messages.length; i += CHUNK) {
    const chunk = messages.slice(i, i + CHUNK)
    const [res] = await tx.query<any>('INSERT INTO ipam_outbox (kind, recipient, subject, body) VALUES ?', [chunk.map(row)])
    const [got] = await tx.query<any[]>('SELECT id, kind, recipient, subject FROM ipam_outbox WHERE id >= ? ORDER BY id LIMIT ?', [res.insertId, chunk.length * 2 + 100])
    let k = 0
    for (const r of got) {
      if (k === chunk.length) break
      const m = chunk[k]
      if (r.kind === m.kind && r.recipient === m.recipient && r.subject === m.subject.slice(0, 255)) {
        ids.push(Number(r.id))
        k++
      }
    }
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
