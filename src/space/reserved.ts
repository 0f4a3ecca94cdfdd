import type {Pool} from 'mysql2/promise'

import type {Tx} from '../db/tx.js'
import {BITS, type Family, mask, unusableReason} from '../net/ip.js'
import {type NetworkEntry, NetworkIndex} from './netindex.js'

/** Why an address is never handed out: a network, broadcast or IPv6 anycast address, or a gateway. */
export interface Reserved {
  kind: 'gateway' | 'reserved-address'
  /** e.g. "it is the broadcast address of 192.0.2.128/25" */
  reason: string
  network: string
}

/**
 * The addresses each network itself keeps back: its network (IPv4) or
 * subnet-router anycast (IPv6) address, its broadcast (IPv4) and its gateway,
 * each kept only when the most specific network holding it says so (as
 * `ips allocate <ip>` judges one address). A handful per network, so the set
 * for a span is small and found from the networks overlapping it.
 */
function reservedOf(index: NetworkIndex, family: Family, from: bigint, to: bigint, out: Map<bigint, Reserved>): void {
  const bits = BITS[family]
  for (const n of index.entries(family)) {
    if (n.broadcast < from || n.network > to) continue
    const candidates: bigint[] = []
    if (n.prefix < bits - 1) candidates.push(n.network)
    if (family === 4 && n.prefix < bits - 1) candidates.push(n.broadcast)
    if (n.gateway !== null) candidates.push(n.gateway)
    for (const c of candidates) {
      if (c < from || c > to || out.has(c)) continue
      const holder = index.find(family, c)!
      const verdict = judge(family, holder, c)
      if (verdict) out.set(c, verdict)
    }
  }
}

function judge(family: Family, n: NetworkEntry, value: bigint): Reserved | undefined {
  const reason = unusableReason({family, network: n.network, broadcast: n.broadcast, prefix: n.prefix}, value, n.gateway)
  if (reason === undefined) return undefined
  return {kind: n.gateway === value ? 'gateway' : 'reserved-address', reason, network: n.cidr}
}

/**
 * The networks overlapping [from, to]: those starting inside it (one index
 * range) and those holding `from` (at most one per prefix length, found by
 * their exact network addresses), never a scan of the family.
 */
export async function networksOverlapping(db: Pool | Tx, family: Family, from: bigint, to: bigint): Promise<NetworkIndex> {
  const starts = Array.from({length: BITS[family] + 1}, (_, p) => from & mask(family, p))
  const [rows] = await db.query<any[]>(
    'SELECT family, network, broadcast, prefix, gateway, cidr FROM ipnet WHERE family = ? AND ((network IN (?) AND broadcast >= ?) OR network BETWEEN ? AND ?)',
    [family, [...new Set(starts)], from, from, to],
  )
  return NetworkIndex.fromRows(rows)
}

/** The addresses of [from, to] never handed out, with why. */
export async function reservedIn(db: Pool | Tx, family: Family, from: bigint, to: bigint): Promise<Map<bigint, Reserved>> {
  const out = new Map<bigint, Reserved>()
  reservedOf(await networksOverlapping(db, family, from, to), family, from, to, out)
  return out
}

/** How many addresses of [from, to] may be handed out (used or not). */
export async function usableIn(db: Pool | Tx, family: Family, from: bigint, to: bigint): Promise<bigint> {
  return to - from + 1n - BigInt((await reservedIn(db, family, from, to)).size)
}

/**
 * Usable count of each network, nested networks' own addresses left out, from
 * the index of all networks (no query per network).
 */
export function usableCounts(index: NetworkIndex, nets: {id: number; family: Family; network: bigint; broadcast: bigint}[]): Map<number, bigint> {
  const sorted = new Map<Family, bigint[]>()
  for (const family of [4, 6] as Family[]) {
    const all = new Map<bigint, Reserved>()
    reservedOf(index, family, 0n, (1n << BigInt(BITS[family])) - 1n, all)
    sorted.set(family, [...all.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
  }
  const below = (list: bigint[], value: bigint) => {
    // how many entries are < value
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (list[mid] < value) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const out = new Map<number, bigint>()
  for (const n of nets) {
    const list = sorted.get(n.family)!
    const reserved = below(list, n.broadcast + 1n) - below(list, n.network)
    out.set(n.id, n.broadcast - n.network + 1n - BigInt(reserved))
  }
  return out
}
