import {userInfo} from 'node:os'
import type {Pool} from 'mysql2/promise'

import type {Tx} from '../db/tx.js'

/** The person at the keyboard, as the operating system knows them. */
export function osUser(): string {
  try {
    return process.env.SUDO_USER || userInfo().username
  } catch {
    return process.env.USER || process.env.LOGNAME || 'unknown'
  }
}

export interface AuditEntry {
  action: string
  objectType: string
  objectId?: string | number | bigint | null
  detail?: Record<string, unknown>
}

/** Writes one audit row inside the caller's transaction, so it commits with the change or not at all. */
export async function audit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.query('INSERT INTO ipam_audit (os_user, db_user, action, object_type, object_id, detail) VALUES (?, CURRENT_USER(), ?, ?, ?, ?)', [
    osUser(),
    entry.action,
    entry.objectType,
    entry.objectId === undefined || entry.objectId === null ? null : String(entry.objectId),
    entry.detail === undefined ? null : JSON.stringify(entry.detail, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
  ])
}

export interface AuditRow {
  id: number
  at: string
  osUser: string
  dbUser: string
  action: string
  objectType: string
  objectId: string | null
  detail: unknown
}

export async function listAudit(pool: Pool, opts: {limit: number; action?: string}): Promise<AuditRow[]> {
  const where: string[] = []
  const params: unknown[] = []
  if (opts.action) {
    // "networks" matches networks.add, networks.remove, …
    where.push('(action = ? OR action LIKE ?)')
    params.push(opts.action, `${opts.action.replace(/[\\%_]/g, '\\$&')}.%`)
  }
  params.push(opts.limit)
  const [rows] = await pool.query<any[]>(
    `SELECT id, at, os_user, db_user, action, object_type, object_id, detail FROM ipam_audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    params,
  )
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    osUser: r.os_user,
    dbUser: r.db_user,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    detail: typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail,
  }))
}
