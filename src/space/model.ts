import type {Pool} from 'mysql2/promise'

import {notFound, usage} from '../errors.js'
import type {Tx} from '../db/tx.js'
import {type Cidr, type Family, formatAddress, formatCidr, parseCidr, usableCount} from '../net/ip.js'
import {checkWord, quote} from '../text.js'

import type {Queryable} from '../db/query.js'
export type {Queryable}

export interface NetworkRow {
  id: number
  family: Family
  cidr: string
  network: bigint
  broadcast: bigint
  prefix: number
  name: string | null
  gateway: bigint | null
  vlan: number | null
  note: string | null
  locations: string[]
  createdAt: string
}

export const NETWORK_COLUMNS = 'id, family, network, broadcast, prefix, cidr, name, gateway, vlan, note, locations, created_at'

export function parseJsonArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String)
  if (typeof value === 'string') {
    try {
      const parsed = JSON.parse(value)
      return Array.isArray(parsed) ? parsed.map(String) : []
    } catch {
      return []
    }
  }
  return []
}

export function toNetworkRow(r: any): NetworkRow {
  return {
    id: Number(r.id),
    family: Number(r.family) as Family,
    cidr: r.cidr,
    network: BigInt(r.network),
    broadcast: BigInt(r.broadcast),
    prefix: Number(r.prefix),
    name: r.name,
    gateway: r.gateway === null ? null : BigInt(r.gateway),
    vlan: r.vlan === null ? null : Number(r.vlan),
    note: r.note,
    locations: parseJsonArray(r.locations),
    createdAt: r.created_at,
  }
}

export const cidrOfRow = (n: NetworkRow): Cidr => ({family: n.family, network: n.network, broadcast: n.broadcast, prefix: n.prefix})

/**
 * The JSON/text view of a network. Huge counts (IPv6) are decimal strings.
 * `usable` comes from `usableIn`/`usableCounts` when nested networks keep
 * some of its addresses back; without it, the network's own count.
 */
export function networkView(n: NetworkRow, usable?: bigint) {
  return {
    id: n.id,
    cidr: n.cidr,
    family: n.family,
    name: n.name,
    gateway: n.gateway === null ? null : formatAddress(n.family, n.gateway),
    vlan: n.vlan,
    note: n.note,
    locations: n.locations,
    usable: (usable ?? usableCount(cidrOfRow(n), n.gateway)).toString(),
    createdAt: n.createdAt,
  }
}

export function checkLocations(locations: string[] | undefined): string[] {
  const out: string[] = []
  for (const l of locations ?? []) {
    checkWord('location', l, 64)
    if (!out.includes(l)) out.push(l)
  }
  return out
}

/** SQL condition: available in location X (no locations means everywhere). */
export function locationCondition(column: string): string {
  return `(JSON_LENGTH(${column}) = 0 OR JSON_CONTAINS(${column}, JSON_QUOTE(?)))`
}

/** A network by id or by CIDR. */
export async function findNetwork(db: Queryable, ref: string, opts: {forUpdate?: boolean} = {}): Promise<NetworkRow> {
  const lock = opts.forUpdate ? ' FOR UPDATE' : ''
  if (/^\d+$/.test(ref)) {
    const [rows] = await db.query<any[]>(`SELECT ${NETWORK_COLUMNS} FROM ipnet WHERE id = ?${lock}`, [ref])
    if (rows.length === 0) throw notFound(`no network with id ${ref}`, 'list networks with `ipam networks list`')
    return toNetworkRow(rows[0])
  }
  if (!ref.includes('/')) throw usage(`${quote(ref)} is neither a network id nor a CIDR`, 'e.g. 42 or 192.0.2.0/24')
  const c = parseCidr(ref)
  const [rows] = await db.query<any[]>(`SELECT ${NETWORK_COLUMNS} FROM ipnet WHERE family = ? AND network = ? AND prefix = ?${lock}`, [c.family, c.network, c.prefix])
  if (rows.length === 0) throw notFound(`no network ${formatCidr(c)}`, 'list networks with `ipam networks list`')
  return toNetworkRow(rows[0])
}

/** The most specific network containing the address, if any. */
export async function networkContaining(db: Queryable, family: Family, value: bigint): Promise<NetworkRow | undefined> {
  const [rows] = await db.query<any[]>(
    `SELECT ${NETWORK_COLUMNS} FROM ipnet WHERE family = ? AND network <= ? AND broadcast >= ? ORDER BY prefix DESC LIMIT 1`,
    [family, value, value],
  )
  return rows[0] ? toNetworkRow(rows[0]) : undefined
}

export interface PoolRow {
  id: number
  name: string
  note: string | null
  locations: string[]
  createdAt: string
}

export function toPoolRow(r: any): PoolRow {
  return {id: Number(r.id), name: r.name, note: r.note, locations: parseJsonArray(r.locations), createdAt: r.created_at}
}

/** A pool by id or name (a numeric name is tried as an id first). */
export async function findPool(db: Queryable, ref: string, opts: {forUpdate?: boolean} = {}): Promise<PoolRow> {
  const lock = opts.forUpdate ? ' FOR UPDATE' : ''
  if (/^\d+$/.test(ref)) {
    const [rows] = await db.query<any[]>(`SELECT id, name, note, locations, created_at FROM ippool WHERE id = ?${lock}`, [ref])
    if (rows[0]) return toPoolRow(rows[0])
  }
  const [rows] = await db.query<any[]>(`SELECT id, name, note, locations, created_at FROM ippool WHERE name = ?${lock}`, [ref])
  if (rows.length === 0) throw noSuchPool(ref)
  return toPoolRow(rows[0])
}

/** The error for a pool reference that names no pool. */
export const noSuchPool = (ref: string) => notFound(`no pool ${quote(ref)}`, 'list pools with `ipam pools list`')

export interface RangeRow {
  id: number
  poolId: number
  poolName: string
  networkId: number
  networkCidr: string
  family: Family
  start: bigint
  end: bigint
}

export const RANGE_SELECT = `SELECT r.id, r.pool_id, p.name AS pool_name, r.ipnet_id, n.cidr AS network_cidr, r.family, r.start_addr, r.end_addr
  FROM ippool_range r JOIN ippool p ON p.id = r.pool_id JOIN ipnet n ON n.id = r.ipnet_id`

export function toRangeRow(r: any): RangeRow {
  return {
    id: Number(r.id),
    poolId: Number(r.pool_id),
    poolName: r.pool_name,
    networkId: Number(r.ipnet_id),
    networkCidr: r.network_cidr,
    family: Number(r.family) as Family,
    start: BigInt(r.start_addr),
    end: BigInt(r.end_addr),
  }
}

export const jsonBig = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)

export function percent(used: bigint, usable: bigint): number {
  if (usable <= 0n) return used > 0n ? 100 : 0
  return Number((used * 10_000n) / usable) / 100
}
