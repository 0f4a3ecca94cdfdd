import type {Pool} from 'mysql2/promise'

import type {Tx} from '../db/tx.js'
import {BITS, type Family, mask} from '../net/ip.js'
import {type NetworkEntry, NetworkIndex} from './netindex.js'
import type {Queryable} from '../db/query.js'

/** Why an address is never handed out: a network, broadcast or IPv6 anycast address, or a gateway. */
export interface Reserved {
  kind: 'gateway' | 'reserved-address'
  /** The network that keeps it back. */
  network: string
}

/**
 * The addresses each network itself keeps back: its network (IPv4) or
 * subnet-router anycast (IPv6) address, its broadcast (IPv4) and its gateway,
 * each kept only when the most specific network holding it says so (as
 * `ips allocate <ip>` judges one address, see `unusableReason`). A handful per
 * network, so the set for a span is small and found from the networks
 * overlapping it. No strings are built here: `networks list` runs this over
 * every network.
 */
function reservedOf(index: NetworkIndex, family: Family, from: bigint, to: bigint, emit: (value: bigint, why: Reserved) => void): void {
  const bits = BITS[family]
  const keep = (value: bigint) => {
    if (value < from || value > to) return
    const verdict = judge(family, index.find(family, value)!, value)
    if (verdict) emit(value, verdict)
  }
  for (const n of index.entries(family)) {
    if (n.broadcast < from || n.network > to) continue
    const edges = n.prefix < bits - 1
    if (edges) keep(n.network)
    if (edges && family === 4) keep(n.broadcast)
    if (n.gateway !== null) keep(n.gateway)
  }
}

/** Whether the most specific network holding `value` keeps it back: the same rules as `unusableReason`. */
function judge(family: Family, n: NetworkEntry, value: bigint): Reserved | undefined {
  if (n.gateway === value) return {kind: 'gateway', network: n.cidr}
  if (n.prefix >= BITS[family] - 1) return undefined
  if (value === n.network || (family === 4 && value === n.broadcast)) return {kind: 'reserved-address', network: n.cidr}
  return undefined
}

/**
 * The condition on `ipnet` for the networks overlapping [from, to]: those
 * starting inside it (one index range) and those holding `from` (at most one
 * per prefix length, found by their exact network addresses), never a scan of
 * the family.
 */
export function overlapCondition(family: Family, from: bigint, to: bigint): {where: string; values: unknown[]} {
  const starts = Array.from({length: BITS[family] + 1}, (_, p) => from & mask(family, p))
  return {where: 'family = ? AND ((network IN (?) AND broadcast >= ?) OR network BETWEEN ? AND ?)', values: [family, [...new Set(starts)], from, from, to]}
}

/** The networks overlapping [from, to] (see `overlapCondition`). */
export async function networksOverlapping(db: Queryable, family: Family, from: bigint, to: bigint): Promise<NetworkIndex> {
  const {where, values} = overlapCondition(family, from, to)
  const [rows] = await db.query<any[]>(`SELECT family, network, broadcast, prefix, gateway, cidr FROM ipnet WHERE ${where}`, values)
  return NetworkIndex.fromRows(rows)
}

/** The addresses of [from, to] never handed out, with why, given (at least) the networks overlapping it. */
export function reservedFrom(index: NetworkIndex, family: Family, from: bigint, to: bigint): Map<bigint, Reserved> {
  const out = new Map<bigint, Reserved>()
  reservedOf(index, family, from, to, (value, why) => out.has(value) || out.set(value, why))
  return out
}

/** The addresses of [from, to] never handed out, with why. */
export async function reservedIn(db: Queryable, family: Family, from: bigint, to: bigint): Promise<Map<bigint, Reserved>> {
  return reservedFrom(await networksOverlapping(db, family, from, to), family, from, to)
}

/** How many addresses of [from, to] may be handed out (used or not). */
export async function usableIn(db: Queryable, family: Family, from: bigint, to: bigint): Promise<bigint> {
  return to - from + 1n - BigInt((await reservedIn(db, family, from, to)).size)
}

/**
 * The addresses of a family kept back by the network that most specifically
 * holds them, sorted: every network's candidates sorted once, then one sweep
 * along the networks (parents before children) with a stack of the open ones,
 * whose top is the most specific holder. `key` turns an address into what is
 * sorted: a double for IPv4 (exact below 2^53, sorted natively), the bigint
 * itself for IPv6.
 */
function keptSorted<T extends number | bigint>(index: NetworkIndex, family: Family, key: (v: bigint) => T, sort: (values: T[]) => T[]): T[] {
  const bits = BITS[family]
  const entries = index.entries(family).map((n) => ({n, network: key(n.network), broadcast: key(n.broadcast), gateway: n.gateway === null ? null : key(n.gateway)}))
  const candidates: T[] = []
  for (const e of entries) {
    if (e.n.prefix < bits - 1) {
      candidates.push(e.network)
      if (family === 4) candidates.push(e.broadcast)
    }
    if (e.gateway !== null) candidates.push(e.gateway)
  }
  const values = sort(candidates)
  const kept: T[] = []
  const stack: typeof entries = []
  let next = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (i > 0 && values[i - 1] === v) continue
    while (next < entries.length && entries[next].network <= v) {
      while (stack.length > 0 && stack.at(-1)!.broadcast < entries[next].network) stack.pop()
      stack.push(entries[next++])
    }
    while (stack.length > 0 && stack.at(-1)!.broadcast < v) stack.pop()
    const holder = stack.at(-1)
    if (!holder) continue
    const edges = holder.n.prefix < bits - 1
    if (holder.gateway === v || (edges && (holder.network === v || (family === 4 && holder.broadcast === v)))) kept.push(v)
  }
  return kept
}

/** How many entries of the sorted list are < value. */
function below<T extends number | bigint>(list: ArrayLike<T>, value: T): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (list[mid] < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * Usable count of each network, nested networks' own addresses left out, from
 * the index of all networks (no query per network): the kept addresses found
 * once, then two binary searches per network.
 */
export function usableCounts(index: NetworkIndex, nets: {id: number; family: Family; network: bigint; broadcast: bigint}[]): Map<number, bigint> {
  const kept4 = keptSorted(index, 4, Number, (v) => [...Float64Array.from(v).sort()])
  const kept6 = keptSorted(index, 6, (v) => v, (v) => v.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
  const out = new Map<number, bigint>()
  for (const n of nets) {
    const reserved = n.family === 4
      ? below(kept4, Number(n.broadcast) + 1) - below(kept4, Number(n.network))
      : below(kept6, n.broadcast + 1n) - below(kept6, n.network)
    out.set(n.id, n.broadcast - n.network + 1n - BigInt(reserved))
  }
  return out
}
