import {userInfo} from 'node:os'
import type {Pool} from 'mysql2/promise'

import type {Tx} from '../db/tx.js'

/** The account the process runs as: asked once (a system call that reads the user database). */
let account: string | undefined

/** The person at the keyboard, as the operating system knows them. */
export function osUser(): string {
  try {
    return process.env.SUDO_USER || (account ??= userInfo().username)
  } catch {
    return process.env.USER || process.env.LOGNAME || 'unknown'
  }
}

export interface AuditEntry {
  action: string
  objectType: string
  objectId?: string | number | bigint | null
  detail?: Record<string, unknown>
  /** The addresses the change touched, as runs (see `addressRuns`), so that `ips history` finds batch work. */
  spans?: AddressRun[]
}

export interface AddressRun {
  family: number
  lo: bigint
  hi: bigint
}

/** Addresses as runs of consecutive values per family (sorted; duplicates merged). */
export function addressRuns(items: Iterable<{family: number; value: bigint}>): AddressRun[] {
  const sorted = [...items].sort((a, b) => a.family - b.family || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
  const runs: AddressRun[] = []
  for (const {family, value} of sorted) {
    const last = runs.at(-1)
    if (last && last.family === family && value <= last.hi + 1n) {
      if (value > last.hi) last.hi = value
    } else runs.push({family, lo: value, hi: value})
  }
  return runs
}

/** Collects addresses one by one (a streamed import) into runs, merging as it goes. */
export class RunBuilder {
  private list: AddressRun[] = []

  add(family: number, value: bigint): void {
    const last = this.list.at(-1)
    if (last && last.family === family && value === last.hi + 1n) last.hi = value
    else this.list.push({family, lo: value, hi: value})
  }

  runs(): AddressRun[] {
    const sorted = [...this.list].sort((a, b) => a.family - b.family || (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0))
    const out: AddressRun[] = []
    for (const r of sorted) {
      const last = out.at(-1)
      if (last && last.family === r.family && r.lo <= last.hi + 1n) {
        if (r.hi > last.hi) last.hi = r.hi
      } else out.push({...r})
    }
    return out
  }
}

const detailJson = (detail: Record<string, unknown> | undefined) =>
  detail === undefined ? null : JSON.stringify(detail, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))

/**
 * Writes audit rows inside the caller's transaction, so they commit with the
 * change or not at all: one row, or many in a few multi-row statements (a
 * batch of decisions). Returns the id of the first row written.
 */
export async function audit(tx: Tx, entries: AuditEntry | AuditEntry[]): Promise<number> {
  const list = Array.isArray(entries) ? entries : [entries]
  const who = osUser()
  const hasSpans = (e: AuditEntry) => Boolean(e.spans && e.spans.length > 0)
  let first = 0
  for (let i = 0; i < list.length; ) {
    // A row with address spans needs its own id, so it goes alone; others up to 500 a statement.
    let n = 1
    if (!hasSpans(list[i])) while (n < 500 && i + n < list.length && !hasSpans(list[i + n])) n++
    const chunk = list.slice(i, i + n)
    const [res] = await tx.query(
      `INSERT INTO ipam_audit (os_user, db_user, action, object_type, object_id, detail) VALUES ${chunk.map(() => '(?, CURRENT_USER(), ?, ?, ?, ?)').join(', ')}`,
      chunk.flatMap((e) => [who, e.action, e.objectType, e.objectId === undefined || e.objectId === null ? null : String(e.objectId), detailJson(e.detail)]),
    )
    const id = Number((res as unknown as {insertId: number}).insertId)
    if (i === 0) first = id
    if (hasSpans(chunk[0])) await auditSpans(tx, id, chunk[0].spans!)
    i += n
  }
  return first
}

/** Adds address runs to an audit row already written (imports add them batch by batch). */
export async function auditSpans(tx: Tx, auditId: number, spans: AddressRun[]): Promise<void> {
  for (let i = 0; i < spans.length; i += 1000) {
    await tx.query('INSERT INTO ipam_audit_span (audit_id, family, lo, hi) VALUES ?', [spans.slice(i, i + 1000).map((s) => [auditId, s.family, s.lo, s.hi])])
  }
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
