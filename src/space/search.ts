import type {Pool} from 'mysql2/promise'

import {usage} from '../errors.js'
import {checkHostname, macSearchPrefix} from '../net/hostmac.js'
import {type Cidr, type Family, formatAddress, parseAddress, parseCidr} from '../net/ip.js'
import {quote} from '../text.js'
import {type AddressView, toView} from './addresses.js'
import {NETWORK_COLUMNS, networkView, toNetworkRow, toPoolRow} from './model.js'
import {NetworkIndex} from './netindex.js'
import {poolView} from './pools.js'

export const SEARCH_TYPES = ['networks', 'pools', 'ips', 'requests'] as const
export type SearchType = (typeof SEARCH_TYPES)[number]

/** `text` as the start of a LIKE pattern, its wildcards taken literally. */
export const likePrefix = (text: string) => `${text.replace(/[\\%_]/g, '\\$&')}%`
const likeAnywhere = (text: string) => `%${likePrefix(text)}`

const IP_COLUMNS = 'ip.family, ip.addr, ip.status, ip.assigned_to, ip.assign_type, ip.description, ip.hostname, ip.mac, ip.created_at, ip.updated_at'

/**
 * The prefix rule: an address is found by the start of its assigned-to, its
 * host name ("printer-3" finds printer-3.example.com), its description or its
 * MAC (in any notation) — each answered by an index on that column (the
 * description's on its first 64 characters).
 */
function textConditions(text: string): {sql: string; params: unknown[]}[] {
  const out = [
    {sql: 'ip.assigned_to LIKE ?', params: [likePrefix(text)]},
    {sql: 'ip.hostname LIKE ?', params: [likePrefix(text.toLowerCase())]},
    {sql: 'ip.description LIKE ?', params: [likePrefix(text)]},
  ]
  const mac = macSearchPrefix(text)
  if (mac) out.push({sql: 'ip.mac LIKE ?', params: [likePrefix(mac)]})
  return out
}

/** Adds `ips list` filters --assigned-to (exact), --hostname (the name, or a name under it) and --search (the prefix rule). */
export function addressTextFilters(filter: {assignedTo?: string; hostname?: string; search?: string}, where: string[], params: unknown[]): void {
  if (filter.assignedTo !== undefined) {
    where.push('ip.assigned_to = ?')
    params.push(filter.assignedTo)
  }
  if (filter.hostname !== undefined) {
    const name = checkHostname(filter.hostname)
    where.push('(ip.hostname = ? OR ip.hostname LIKE ?)')
    params.push(name, likePrefix(`${name}.`))
  }
  if (filter.search !== undefined) {
    if (filter.search.trim() === '') throw usage('--search needs some text')
    const conds = textConditions(filter.search.trim())
    where.push(`(${conds.map((c) => c.sql).join(' OR ')})`)
    for (const c of conds) params.push(...c.params)
  }
}

export interface SearchResult {
  query: string
  /** How the text was read: an address, a CIDR, or free text. */
  as: 'address' | 'cidr' | 'text'
  networks: ReturnType<typeof networkView>[]
  pools: ReturnType<typeof poolView>[]
  ips: (AddressView & {network?: string | null})[]
  requests: {id: number; ip: string; network: string | null; email: string | null; status: string; description: string | null; requestedAt: string}[]
  /** Types that had more matches than the limit. */
  truncated: SearchType[]
}

function parseQuery(text: string): {as: 'address'; family: Family; value: bigint} | {as: 'cidr'; cidr: Cidr} | {as: 'text'} {
  if (text.includes('/')) {
    try {
      return {as: 'cidr', cidr: parseCidr(text)}
    } catch {
      return {as: 'text'}
    }
  }
  try {
    const a = parseAddress(text)
    return {as: 'address', family: a.family, value: a.value}
  } catch {
    return {as: 'text'}
  }
}

const toRequest = (r: any) => ({
  id: Number(r.id),
  ip: formatAddress(Number(r.family) as Family, BigInt(r.addr)),
  network: r.network_cidr,
  email: r.email,
  status: r.status,
  description: r.description,
  requestedAt: r.requested_at,
})

/**
 * Finds networks, pools, addresses and requests. An address or CIDR finds what
 * contains it and what it contains; other text finds names, notes, descriptions,
 * e-mails (anywhere in the text, on the small tables) and addresses by the
 * prefix rule above. Every address query runs on an index.
 */
export async function search(pool: Pool, rawText: string, opts: {types?: SearchType[]; limit?: number} = {}): Promise<SearchResult> {
  const text = rawText.trim()
  if (text === '') throw usage('give some text to search for', 'e.g. `ipam search printer-3` or `ipam search 10.1.2.3`')
  if (text.length > 253) throw usage(`the search text ${quote(text)} is too long (at most 253 characters)`)
  const limit = opts.limit ?? 20
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw usage(`--limit must be 1 to 10000 (got ${opts.limit})`)
  const types = new Set(opts.types && opts.types.length > 0 ? opts.types : SEARCH_TYPES)
  const q = parseQuery(text)
  const result: SearchResult = {query: text, as: q.as, networks: [], pools: [], ips: [], requests: [], truncated: []}
  const cut = <T>(type: SearchType, rows: T[]): T[] => {
    if (rows.length > limit) result.truncated.push(type)
    return rows.slice(0, limit)
  }
  const n = limit + 1

  if (types.has('networks')) {
    let rows: any[]
    if (q.as === 'address') {
      ;[rows] = await pool.query<any[]>(`SELECT ${NETWORK_COLUMNS} FROM ipnet WHERE family = ? AND network <= ? AND broadcast >= ? ORDER BY prefix LIMIT ?`, [q.family, q.value, q.value, n])
    } else if (q.as === 'cidr') {
      const c = q.cidr
      ;[rows] = await pool.query<any[]>(
        `SELECT ${NETWORK_COLUMNS} FROM ipnet WHERE family = ? AND ((network <= ? AND broadcast >= ?) OR (network >= ? AND broadcast <= ?)) ORDER BY network, prefix LIMIT ?`,
        [c.family, c.network, c.broadcast, c.network, c.broadcast, n],
      )
    } else {
      const like = likeAnywhere(text)
      const vlan = /^\d{1,4}$/.test(text) ? Number(text) : -1
      ;[rows] = await pool.query<any[]>(
        `SELECT ${NETWORK_COLUMNS} FROM ipnet WHERE name LIKE ? OR note LIKE ? OR cidr LIKE ? OR vlan = ? OR JSON_SEARCH(locations, 'one', ?) IS NOT NULL ORDER BY family, network, prefix LIMIT ?`,
        [like, like, likePrefix(text), vlan, likeAnywhere(text), n],
      )
    }
    result.networks = cut('networks', rows.map((r) => networkView(toNetworkRow(r))))
  }

  if (types.has('pools')) {
    let rows: any[]
    const cols = 'p.id, p.name, p.note, p.locations, p.created_at'
    if (q.as === 'address' || q.as === 'cidr') {
      const [family, lo, hi] = q.as === 'address' ? [q.family, q.value, q.value] : [q.cidr.family, q.cidr.network, q.cidr.broadcast]
      ;[rows] = await pool.query<any[]>(
        `SELECT ${cols} FROM ippool p WHERE EXISTS (SELECT 1 FROM ippool_range r WHERE r.pool_id = p.id AND r.family = ? AND r.start_addr <= ? AND r.end_addr >= ?) ORDER BY p.name LIMIT ?`,
        [family, hi, lo, n],
      )
    } else {
      const like = likeAnywhere(text)
      ;[rows] = await pool.query<any[]>(`SELECT ${cols} FROM ippool p WHERE p.name LIKE ? OR p.note LIKE ? OR JSON_SEARCH(p.locations, 'one', ?) IS NOT NULL ORDER BY p.name LIMIT ?`, [like, like, like, n])
    }
    result.pools = cut('pools', rows.map((r) => poolView(toPoolRow(r))))
  }

  if (types.has('ips')) {
    let rows: any[] = []
    if (q.as === 'address') {
      ;[rows] = await pool.query<any[]>(`SELECT ${IP_COLUMNS} FROM ip WHERE family = ? AND addr = ?`, [q.family, q.value])
    } else if (q.as === 'cidr') {
      ;[rows] = await pool.query<any[]>(`SELECT ${IP_COLUMNS} FROM ip WHERE family = ? AND addr BETWEEN ? AND ? ORDER BY addr LIMIT ?`, [q.cidr.family, q.cidr.network, q.cidr.broadcast, n])
    } else {
      // One indexed query per column, merged: an OR across columns could make the server scan the table.
      const seen = new Map<string, any>()
      for (const c of textConditions(text)) {
        const [part] = await pool.query<any[]>(`SELECT ${IP_COLUMNS} FROM ip WHERE ${c.sql} ORDER BY family, addr LIMIT ?`, [...c.params, n])
        for (const r of part) seen.set(`${r.family}-${r.addr}`, r)
      }
      rows = [...seen.values()].sort((a, b) => Number(a.family) - Number(b.family) || (BigInt(a.addr) < BigInt(b.addr) ? -1 : 1))
    }
    const ips = cut('ips', rows.map(toView))
    if (ips.length > 0) {
      const index = await NetworkIndex.load(pool)
      for (const a of ips) {
        const p = parseAddress(a.address)
        a.network = index.find(p.family, p.value)?.cidr ?? null
      }
    }
    result.ips = ips
  }

  if (types.has('requests')) {
    const cols = 'id, family, addr, network_cidr, email, status, description, requested_at'
    let rows: any[]
    if (q.as === 'address') {
      ;[rows] = await pool.query<any[]>(`SELECT ${cols} FROM ip_request WHERE family = ? AND addr = ? ORDER BY id DESC LIMIT ?`, [q.family, q.value, n])
    } else if (q.as === 'cidr') {
      ;[rows] = await pool.query<any[]>(`SELECT ${cols} FROM ip_request WHERE family = ? AND addr BETWEEN ? AND ? ORDER BY id DESC LIMIT ?`, [q.cidr.family, q.cidr.network, q.cidr.broadcast, n])
    } else {
      const like = likeAnywhere(text)
      ;[rows] = await pool.query<any[]>(`SELECT ${cols} FROM ip_request WHERE email LIKE ? OR description LIKE ? OR requested_by LIKE ? OR region LIKE ? ORDER BY id DESC LIMIT ?`, [like, like, like, like, n])
    }
    result.requests = cut('requests', rows.map(toRequest))
  }
  return result
}
