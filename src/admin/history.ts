import type {Pool} from 'mysql2/promise'

import {notFound} from '../errors.js'
import {formatAddress, parseAddress, parseCidr} from '../net/ip.js'
import {findNetwork, findPool} from '../space/model.js'
import {quote} from '../text.js'

export interface HistoryEntry {
  id: number
  at: string
  osUser: string
  dbUser: string
  action: string
  /** Field changes, old -> new (set commands), else the values the action wrote. */
  changes: Record<string, {old: unknown; new: unknown}>
  detail: Record<string, unknown>
}

const COLUMNS = 'a.id, a.at, a.os_user, a.db_user, a.action, a.object_type, a.object_id, a.detail'

/** What each action did to the object, as old -> new pairs, so every line of a history reads the same way. */
function changesOf(action: string, detail: Record<string, unknown>, address?: string): HistoryEntry['changes'] {
  if (detail.changes && typeof detail.changes === 'object') return detail.changes as HistoryEntry['changes']
  const fields = ['status', 'assignedTo', 'assignType', 'description', 'hostname', 'mac', 'name', 'cidr', 'gateway', 'vlan', 'note', 'locations', 'roles', 'range']
  const out: HistoryEntry['changes'] = {}
  const removal = /\.(release|remove)$/.test(action) || action === 'purge'
  for (const f of fields) {
    if (detail[f] === undefined || detail[f] === null || (Array.isArray(detail[f]) && (detail[f] as unknown[]).length === 0)) continue
    out[f] = removal ? {old: detail[f], new: null} : {old: null, new: detail[f]}
  }
  if (action === 'ips.release' && address) out.status = {old: 'not free', new: 'FREE'}
  if (action === 'ips.import' && address) out.status ??= {old: 'FREE', new: 'imported'}
  if (action === 'requests.approve') out.status = {old: null, new: 'USED'}
  return out
}

function toEntry(r: any, address?: string): HistoryEntry {
  let detail: Record<string, unknown> = {}
  try {
    detail = (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) ?? {}
  } catch {}
  // A release of many lists every address; one address's history needs only its own.
  if (address && Array.isArray(detail.addresses)) {
    const {addresses, ...rest} = detail
    detail = {...rest, of: (addresses as unknown[]).length}
  }
  return {id: Number(r.id), at: r.at, osUser: r.os_user, dbUser: r.db_user, action: r.action, changes: changesOf(r.action, detail, address), detail}
}

/**
 * Every change to one address, oldest first: rows naming it, batch rows
 * (allocate --count, import, release of many, integration) whose address runs
 * in ipam_audit_span hold it, and the requests for it (submitted, approved,
 * rejected). All three are index lookups.
 */
export async function addressHistory(pool: Pool, text: string): Promise<{address: string; entries: HistoryEntry[]}> {
  const a = parseAddress(text)
  const address = formatAddress(a.family, a.value)
  const [rows] = await pool.query<any[]>(
    `SELECT ${COLUMNS} FROM ipam_audit a WHERE a.object_type = 'ip' AND a.object_id = ?
     UNION
     SELECT ${COLUMNS} FROM ipam_audit a JOIN ipam_audit_span s ON s.audit_id = a.id WHERE s.family = ? AND s.lo <= ? AND s.hi >= ?
     UNION
     SELECT ${COLUMNS} FROM ip_request q JOIN ipam_audit a ON a.object_type = 'request' AND a.object_id = CAST(q.id AS CHAR) WHERE q.family = ? AND q.addr = ?
     ORDER BY id`,
    [address, a.family, a.value, a.value, a.family, a.value],
  )
  return {address, entries: rows.map((r) => toEntry(r, address))}
}

/** Every change to one network, oldest first; a removed network is found by its CIDR in the log. */
export async function networkHistory(pool: Pool, ref: string): Promise<{network: string; id: number | null; entries: HistoryEntry[]}> {
  let id: number | null = null
  let cidr: string | null = null
  try {
    const net = await findNetwork(pool, ref)
    id = net.id
    cidr = net.cidr
  } catch (error) {
    if (!ref.includes('/')) throw error
    const c = parseCidr(ref)
    cidr = `${formatAddress(c.family, c.network)}/${c.prefix}`
  }
  const [rows] = await pool.query<any[]>(
    `SELECT ${COLUMNS} FROM ipam_audit a WHERE a.object_type = 'network' AND (a.object_id = ? OR JSON_UNQUOTE(JSON_EXTRACT(a.detail, '$.cidr')) = ?) ORDER BY a.id`,
    [id === null ? '' : String(id), cidr],
  )
  // Ids of removed networks may be reused only by the same CIDR's rows here: keep those of this id, or of this CIDR.
  if (rows.length === 0 && id === null) throw notFound(`no network ${cidr} and nothing about it in the audit log`)
  return {network: cidr!, id, entries: rows.map((r) => toEntry(r))}
}

/** Every change to one pool, oldest first (renames included); a removed pool is found by its name in the log. */
export async function poolHistory(pool: Pool, ref: string): Promise<{pool: string; id: number | null; entries: HistoryEntry[]}> {
  let id: number | null = null
  let name = ref
  try {
    const p = await findPool(pool, ref)
    id = p.id
    name = p.name
  } catch (error) {
    if ((error as {kind?: string}).kind !== 'not-found') throw error
  }
  const [own] = await pool.query<any[]>(
    `SELECT ${COLUMNS} FROM ipam_audit a WHERE a.object_type = 'pool' AND (a.object_id = ? OR JSON_UNQUOTE(JSON_EXTRACT(a.detail, '$.name')) = ?) ORDER BY a.id`,
    [id === null ? '' : String(id), name],
  )
  // Range rows name the pool as it was called then: every name it has had.
  const names = new Set([name])
  for (const r of own) {
    const e = toEntry(r)
    if (typeof e.detail.name === 'string') names.add(e.detail.name)
    const renamed = e.changes.name
    if (renamed && typeof renamed.old === 'string') names.add(renamed.old)
    if (renamed && typeof renamed.new === 'string') names.add(renamed.new)
  }
  const [ranges] = await pool.query<any[]>(
    `SELECT ${COLUMNS} FROM ipam_audit a WHERE a.object_type = 'range' AND JSON_UNQUOTE(JSON_EXTRACT(a.detail, '$.pool')) IN (?) ORDER BY a.id`,
    [[...names]],
  )
  const rows = [...own, ...ranges].sort((a, b) => Number(a.id) - Number(b.id))
  if (rows.length === 0 && id === null) throw notFound(`no pool ${quote(ref)} and nothing about it in the audit log`)
  return {pool: name, id, entries: rows.map((r) => toEntry(r))}
}
