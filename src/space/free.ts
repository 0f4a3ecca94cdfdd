import type {Pool} from 'mysql2/promise'

import {usage} from '../errors.js'
import {BITS, type Family, formatAddress, formatCidr, mask, parseCidr, rangeSize, usableBounds} from '../net/ip.js'
import {cidrOfRow, findNetwork, findPool, type NetworkRow, type Queryable} from './model.js'

/** An interval of addresses [start, end], inclusive. */
export interface Gap {
  start: bigint
  end: bigint
}

const SPAN_COLUMNS = 'network, broadcast'

/**
 * The gaps of a network: the parts of its span that no network inside it
 * covers, lowest first, read from the (family, network, broadcast) index in
 * network order and never expanded into addresses. Networks nest or are
 * disjoint, so one cursor suffices: a row that ends before the cursor is
 * nested in one already passed.
 *
 * With `skipRuns` (finding the next free block), a batch without a gap is
 * followed by one probe of the edge points kept by triggers
 * (`ipam_ipnet_point`): the lowest point from the cursor on where networks end
 * and none starts. Everything from the cursor to just before that point is
 * covered (the first uncovered address after a covered one is such a point),
 * so a run of 60,000 adjacent children costs one index probe, not 60,000 rows.
 * The point itself may still lie inside a larger child; the walk resumes after
 * the outermost child holding it, or at the point, a gap, when none does.
 */
export async function* gapsOf(db: Queryable, parent: NetworkRow, opts: {skipRuns?: boolean} = {}): AsyncGenerator<Gap> {
  const {family, id} = parent
  const end = parent.broadcast
  let cursor = parent.network
  let batch = opts.skipRuns ? 8 : 1000
  const children = (from: bigint, limit: number) =>
    db.query<any[]>(`SELECT ${SPAN_COLUMNS} FROM ipnet WHERE family = ? AND network >= ? AND network <= ? AND broadcast <= ? AND id <> ? ORDER BY network LIMIT ?`, [family, from, end, end, id, limit])
  while (cursor <= end) {
    const [rows] = await children(cursor, batch)
    let found = false
    for (const r of rows) {
      const start = BigInt(r.network)
      const last = BigInt(r.broadcast)
      if (last < cursor) continue
      if (start > cursor) {
        found = true
        yield {start: cursor, end: start - 1n}
      }
      cursor = last + 1n
    }
    if (rows.length < batch) {
      if (cursor <= end) yield {start: cursor, end}
      return
    }
    if (!opts.skipRuns) {
      batch = Math.min(batch * 2, 10_000)
      continue
    }
    if (found || cursor > end) continue
    // The cursor is just after a child here, so it is itself such a point when nothing covers it.
    const [points] = await db.query<any[]>('SELECT open_point FROM ipam_ipnet_point WHERE family = ? AND open_point >= ? AND open_point <= ? ORDER BY open_point LIMIT 1', [family, cursor, end + 1n])
    if (points.length === 0) return
    const point = BigInt(points[0].open_point)
    if (point === cursor || point > end) {
      if (point > end) return
      continue
    }
    const holder = await outermostHolding(db, parent, point)
    cursor = holder === null ? point : holder + 1n
  }
}

/** The last address of the outermost network inside `parent` that holds `point`, if any: its candidates are the point's own prefixes. */
async function outermostHolding(db: Queryable, parent: NetworkRow, point: bigint): Promise<bigint | null> {
  const starts = new Set<bigint>()
  for (let p = parent.prefix + 1; p <= BITS[parent.family]; p++) starts.add(point & mask(parent.family, p))
  const [rows] = await db.query<any[]>(
    'SELECT MAX(broadcast) AS last FROM ipnet WHERE family = ? AND network IN (?) AND broadcast >= ? AND broadcast <= ? AND id <> ?',
    [parent.family, [...starts], point, parent.broadcast, parent.id],
  )
  return rows[0].last === null ? null : BigInt(rows[0].last)
}

/** How many aligned blocks of length `prefix` fit in a gap, and the first of them. */
export function blocksIn(family: Family, gap: Gap, prefix: number): {first: bigint; count: bigint} {
  const size = 1n << BigInt(BITS[family] - prefix)
  const first = ((gap.start + size - 1n) / size) * size
  const count = first + size - 1n <= gap.end ? (gap.end - first + 1n) / size : 0n
  return {first, count}
}

/** Child networks of `parent`, as CIDR text, for cidr-tools. */
async function childCidrs(db: Queryable, parent: NetworkRow): Promise<string[]> {
  const [rows] = await db.query<any[]>('SELECT cidr FROM ipnet WHERE family = ? AND network >= ? AND network <= ? AND broadcast <= ? AND id <> ? ORDER BY network', [
    parent.family, parent.network, parent.broadcast, parent.broadcast, parent.id,
  ])
  return rows.map((r) => r.cidr as string)
}

/** The minimal sorted CIDR list of what no child network covers (cidr-tools' exclude, shown in our canonical form). */
async function freeCidrs(db: Queryable, parent: NetworkRow): Promise<string[]> {
  const children = await childCidrs(db, parent)
  if (children.length === 0) return [parent.cidr]
  // Loaded here, not at start-up: carving and `networks show` of a leaf do not need it.
  const {excludeCidr} = await import('cidr-tools')
  return excludeCidr(parent.cidr, children).map((c) => formatCidr(parseCidr(c)))
}

const prefixOf = (cidr: string) => Number(cidr.slice(cidr.indexOf('/') + 1))

export interface FreeSummary {
  /** Free addresses (a decimal string: IPv6 counts do not fit a number). */
  addresses: string
  blocks: number
  largest: string | null
}

function summarise(family: Family, cidrs: string[]): FreeSummary {
  let addresses = 0n
  let largest: string | null = null
  for (const c of cidrs) {
    addresses += 1n << BigInt(BITS[family] - prefixOf(c))
    if (largest === null || prefixOf(c) < prefixOf(largest)) largest = c
  }
  return {addresses: addresses.toString(), blocks: cidrs.length, largest}
}

/** The free-space line of `networks show`: free addresses, how many free blocks, the largest. */
export async function networkFreeSummary(db: Queryable, id: number): Promise<FreeSummary> {
  const net = await findNetwork(db, String(id))
  return summarise(net.family, await freeCidrs(db, net))
}

export function checkPrefix(family: Family, prefix: number, within: number, value: string, flag = '--prefix'): void {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > BITS[family]) throw usage(`${flag} ${value} is not a prefix length of IPv${family} (0-${BITS[family]})`)
  if (prefix <= within) throw usage(`${flag} ${value} is not longer than the network's own /${within}`, `a child network needs a prefix longer than /${within}, e.g. --prefix ${Math.min(within + 8, BITS[family])}`)
}

/**
 * The free space of a network: everything no child network covers, as the
 * minimal sorted CIDR list; with `prefix`, how many blocks of that length fit
 * and the first few of them.
 */
export async function networkFree(pool: Pool, ref: string, opts: {prefix?: number; first?: number} = {}) {
  const net = await findNetwork(pool, ref)
  if (opts.prefix !== undefined) checkPrefix(net.family, opts.prefix, net.prefix, String(opts.prefix))
  const cidrs = await freeCidrs(pool, net)
  const out = {network: {id: net.id, cidr: net.cidr}, ...summarise(net.family, cidrs), free: cidrs}
  if (opts.prefix === undefined) return out
  const limit = opts.first ?? 10
  const size = BITS[net.family] - opts.prefix
  let fit = 0n
  const first: string[] = []
  for (const c of cidrs) {
    const p = prefixOf(c)
    if (p > opts.prefix) continue
    const n = 1n << BigInt(opts.prefix - p)
    fit += n
    const start = parseCidr(c).network
    for (let i = 0n; i < n && first.length < limit; i++) first.push(formatCidr({family: net.family, network: start + (i << BigInt(size)), broadcast: 0n, prefix: opts.prefix}))
  }
  return {...out, prefix: opts.prefix, fit: fit.toString(), first}
}

/** The CIDRs that make up [start, end], largest aligned blocks first (cidr-tools has no range input). */
export function rangeCidrs(family: Family, start: bigint, end: bigint): string[] {
  const bits = BITS[family]
  const out: string[] = []
  let at = start
  while (at <= end) {
    let size = 0
    while (size < bits && (at & ((1n << BigInt(size + 1)) - 1n)) === 0n && at + (1n << BigInt(size + 1)) - 1n <= end) size++
    out.push(`${formatAddress(family, at)}/${bits - size}`)
    at += 1n << BigInt(size)
  }
  return out
}

/**
 * The free addresses of a pool's blocks, as ranges and their CIDRs: what
 * next-free could still hand out (network, broadcast and gateway addresses
 * and addresses with a PENDING request excluded). Used addresses are read in index order, in batches, never
 * expanded; the result grows with the number of free ranges only.
 */
export async function poolFree(pool: Pool, ref: string) {
  const p = await findPool(pool, ref)
  const [ranges] = await pool.query<any[]>(
    `SELECT r.family, r.start_addr, r.end_addr, n.cidr, n.family AS nfamily, n.network, n.broadcast, n.prefix, n.gateway
     FROM ippool_range r JOIN ipnet n ON n.id = r.ipnet_id WHERE r.pool_id = ? ORDER BY r.family, r.start_addr`,
    [p.id],
  )
  const free: {range: string; size: string; cidrs: string[]; network: string}[] = []
  let total = 0n
  for (const r of ranges) {
    const family = Number(r.family) as Family
    const net = cidrOfRow({family, network: BigInt(r.network), broadcast: BigInt(r.broadcast), prefix: Number(r.prefix)} as NetworkRow)
    const usable = usableBounds(net)
    const lo = BigInt(r.start_addr) > usable.first ? BigInt(r.start_addr) : usable.first
    const hi = BigInt(r.end_addr) < usable.last ? BigInt(r.end_addr) : usable.last
    if (lo > hi) continue
    // Next-free never hands out the gateway, nor an address a PENDING request waits for.
    const [pending] = await pool.query<any[]>("SELECT addr FROM ip_request WHERE status = 'PENDING' AND family = ? AND addr BETWEEN ? AND ?", [family, lo, hi])
    const also = pending.map((x) => BigInt(x.addr))
    if (r.gateway !== null) also.push(BigInt(r.gateway))
    also.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    for await (const g of freeAddresses(pool, family, lo, hi, also)) {
      const size = rangeSize(g)
      total += size
      free.push({range: g.start === g.end ? formatAddress(family, g.start) : `${formatAddress(family, g.start)}-${formatAddress(family, g.end)}`, size: size.toString(), cidrs: rangeCidrs(family, g.start, g.end), network: r.cidr})
    }
  }
  return {pool: {id: p.id, name: p.name}, addresses: total.toString(), ranges: free}
}

/** Runs of addresses in [lo, hi] with no row in `ip` and not in `also` (sorted), lowest first. */
async function* freeAddresses(db: Queryable, family: Family, lo: bigint, hi: bigint, also: bigint[]): AsyncGenerator<Gap> {
  const BATCH = 10_000
  let cursor = lo
  let from = lo
  let next = 0
  for (;;) {
    const [rows] = await db.query<any[]>('SELECT addr FROM ip WHERE family = ? AND addr >= ? AND addr <= ? ORDER BY addr LIMIT ?', [family, from, hi, BATCH])
    const full = rows.length === BATCH
    const upto = full ? BigInt(rows[rows.length - 1].addr) : hi
    const taken = rows.map((r) => BigInt(r.addr))
    for (; next < also.length && also[next] <= upto; next++) if (also[next] >= from) taken.push(also[next])
    taken.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    for (const a of taken) {
      if (a < cursor) continue
      if (a > cursor) yield {start: cursor, end: a - 1n}
      cursor = a + 1n
    }
    if (!full) break
    from = upto + 1n
  }
  if (cursor <= hi) yield {start: cursor, end: hi}
}
