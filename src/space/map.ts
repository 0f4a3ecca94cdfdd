import type {Pool} from 'mysql2/promise'

import {BLOCK_SIZE} from '../db/schema.js'
import type {Tx} from '../db/tx.js'
import {BITS, type Family, formatAddress} from '../net/ip.js'
import {findNetwork, type NetworkRow} from './model.js'
import {reservedIn, usableIn} from './reserved.js'
import type {Queryable} from '../db/query.js'

export const COLUMNS = 16
export const MAX_CELLS = 256

export type CellState = 'free' | 'outside' | 'ALLOCATED' | 'RESERVED' | 'USED' | 'gateway' | 'reserved-address' | 'pending'

export interface AddressCell {
  first: string
  state: CellState
  assignedTo?: string | null
}

export interface BlockCell {
  first: string
  /** Addresses in the cell (a decimal string for IPv6). */
  size: string
  used: number
  /** Share of the cell covered by pool ranges, 0..1. */
  inRanges: number
}

export interface NetworkMap {
  network: string
  family: Family
  /** 'address': one address per cell; 'block': each cell aggregates a prefix. */
  mode: 'address' | 'block'
  cellPrefix: number
  columns: number
  rows: {label: string; cells: (AddressCell | BlockCell)[]}[]
  totals: Record<string, string | number>
}

interface Span {
  start: bigint
  end: bigint
}

function coverage(ranges: Span[], start: bigint, end: bigint): bigint {
  let covered = 0n
  for (const r of ranges) {
    const lo = r.start > start ? r.start : start
    const hi = r.end < end ? r.end : end
    if (lo <= hi) covered += hi - lo + 1n
  }
  return covered
}

/** The state of each address in [start, end], from a handful of queries over that span only. */
export async function addressStates(db: Queryable, net: NetworkRow, start: bigint, end: bigint): Promise<AddressCell[]> {
  const span = [net.family, start, end]
  const [[ips], [pending], [ranges], reserved] = await Promise.all([
    db.query<any[]>('SELECT addr, status, assigned_to FROM ip WHERE family = ? AND addr BETWEEN ? AND ?', span),
    db.query<any[]>("SELECT DISTINCT addr FROM ip_request WHERE status = 'PENDING' AND family = ? AND addr BETWEEN ? AND ?", span),
    db.query<any[]>('SELECT start_addr, end_addr FROM ippool_range WHERE family = ? AND start_addr <= ? AND end_addr >= ?', [net.family, end, start]),
    reservedIn(db, net.family, start, end),
  ])
  const used = new Map<bigint, {status: CellState; assignedTo: string | null}>(ips.map((r) => [BigInt(r.addr), {status: r.status, assignedTo: r.assigned_to}]))
  const pend = new Set<bigint>(pending.map((r) => BigInt(r.addr)))
  const spans: Span[] = ranges.map((r) => ({start: BigInt(r.start_addr), end: BigInt(r.end_addr)}))
  const cells: AddressCell[] = []
  for (let a = start; a <= end; a++) {
    const row = used.get(a)
    let state: CellState
    if (row) state = row.status
    else if (reserved.has(a)) state = reserved.get(a)!.kind
    else if (pend.has(a)) state = 'pending'
    else if (coverage(spans, a, a) === 0n) state = 'outside'
    else state = 'free'
    cells.push({first: formatAddress(net.family, a), state, ...(row ? {assignedTo: row.assignedTo} : {})})
  }
  return cells
}

/**
 * A grid of the network: one address per cell up to 256 addresses, else 256
 * cells each aggregating an equal prefix. Aggregated counts come from one
 * aggregate query (on the block summary when cells are whole blocks).
 */
export async function networkMap(pool: Pool, ref: string): Promise<NetworkMap> {
  const net = await findNetwork(pool, ref)
  const bits = BITS[net.family]
  const hostBits = bits - net.prefix
  const cellBits = Math.max(0, hostBits - 8)
  const cellSize = 1n << BigInt(cellBits)
  const cellCount = Number((net.broadcast - net.network + 1n) / cellSize)
  const rows: NetworkMap['rows'] = []
  const [pendingRows] = await pool.query<any[]>("SELECT COUNT(DISTINCT addr) AS n FROM ip_request WHERE status = 'PENDING' AND family = ? AND addr BETWEEN ? AND ?", [net.family, net.network, net.broadcast])
  // nested networks' own network, broadcast, anycast and gateway addresses are not usable either
  const usableCount = await usableIn(pool, net.family, net.network, net.broadcast)

  if (cellBits === 0) {
    const cells = await addressStates(pool, net, net.network, net.broadcast)
    for (let i = 0; i < cells.length; i += COLUMNS) rows.push({label: cells[i].first, cells: cells.slice(i, i + COLUMNS)})
    const count = (s: CellState) => cells.filter((c) => c.state === s).length
    return {
      network: net.cidr, family: net.family, mode: 'address', cellPrefix: bits, columns: COLUMNS, rows,
      totals: {addresses: cells.length, usable: Number(usableCount), ALLOCATED: count('ALLOCATED'), RESERVED: count('RESERVED'), USED: count('USED'), pending: count('pending'), free: count('free'), outside: count('outside')},
    }
  }

  // One aggregate query: on the block summary when every cell is whole blocks, else on the addresses.
  let usedByCell: Map<number, number>
  if (cellSize >= BLOCK_SIZE) {
    const [agg] = await pool.query<any[]>(
      'SELECT FLOOR((block * ? - ?) / ?) AS cell, SUM(used) AS n FROM ipam_ip_block WHERE family = ? AND block BETWEEN ? AND ? GROUP BY cell',
      [BLOCK_SIZE, net.network, cellSize, net.family, net.network / BLOCK_SIZE, net.broadcast / BLOCK_SIZE],
    )
    usedByCell = new Map(agg.map((r) => [Number(r.cell), Number(r.n)]))
  } else {
    const [agg] = await pool.query<any[]>(
      'SELECT FLOOR((addr - ?) / ?) AS cell, COUNT(*) AS n FROM ip WHERE family = ? AND addr BETWEEN ? AND ? GROUP BY cell',
      [net.network, cellSize, net.family, net.network, net.broadcast],
    )
    usedByCell = new Map(agg.map((r) => [Number(r.cell), Number(r.n)]))
  }
  const [rangeRows] = await pool.query<any[]>('SELECT start_addr, end_addr FROM ippool_range WHERE family = ? AND start_addr <= ? AND end_addr >= ?', [net.family, net.broadcast, net.network])
  const spans: Span[] = rangeRows.map((r) => ({start: BigInt(r.start_addr), end: BigInt(r.end_addr)}))
  const cells: BlockCell[] = []
  let used = 0
  for (let i = 0; i < cellCount; i++) {
    const start = net.network + BigInt(i) * cellSize
    const n = usedByCell.get(i) ?? 0
    used += n
    const covered = coverage(spans, start, start + cellSize - 1n)
    cells.push({first: formatAddress(net.family, start), size: cellSize.toString(), used: n, inRanges: Number((covered * 1000n) / cellSize) / 1000})
  }
  for (let i = 0; i < cells.length; i += COLUMNS) rows.push({label: cells[i].first, cells: cells.slice(i, i + COLUMNS)})
  return {
    network: net.cidr, family: net.family, mode: 'block', cellPrefix: bits - cellBits, columns: COLUMNS, rows,
    totals: {addresses: (net.broadcast - net.network + 1n).toString(), usable: usableCount.toString(), used, pending: Number(pendingRows[0].n), free: (usableCount - BigInt(used)).toString()},
  }
}

/** The 16-address row (aligned, inside the network) around an address, for a glance at its neighbourhood. */
export async function neighbourhood(pool: Pool, networkId: number, family: Family, value: bigint): Promise<AddressCell[] | undefined> {
  let net: NetworkRow
  try {
    net = await findNetwork(pool, String(networkId))
  } catch {
    return undefined
  }
  if (net.family !== family || value < net.network || value > net.broadcast) return undefined
  const rowStart = value - ((value - net.network) % BigInt(COLUMNS))
  const rowEnd = rowStart + BigInt(COLUMNS) - 1n < net.broadcast ? rowStart + BigInt(COLUMNS) - 1n : net.broadcast
  return addressStates(pool, net, rowStart, rowEnd)
}
