import {BLOCK_SIZE} from '../db/schema.js'
import type {Tx} from '../db/tx.js'
import type {Family} from '../net/ip.js'
import {noSuchPool} from './model.js'
import {NetworkIndex} from './netindex.js'
import {overlapCondition, reservedFrom} from './reserved.js'

/** One range of a pool: every address in it may be handed out except the reserved ones. */
export interface Segment {
  family: Family
  start: bigint
  end: bigint
  /** Used addresses in the block holding `start` (from the block summary): says when that block is worth skipping. */
  firstBlockUsed?: number
}

/** An address next-free found, with the most specific network holding it. */
export interface FreeAddress {
  value: bigint
  network: string | null
}

/** The used count of the block holding a range's start, for the range row `r`. */
const FIRST_BLOCK_USED = 'IFNULL((SELECT b.used FROM ipam_ip_block b WHERE b.family = r.family AND b.block = FLOOR(r.start_addr / ?)), 0)'

/** The pool's ranges as segments, lowest first (what `lockPool` reads, when its list was cut short). */
export async function poolSegments(tx: Tx, poolId: number): Promise<Segment[]> {
  const [rows] = await tx.query<any[]>(
    `SELECT r.family, r.start_addr, r.end_addr, ${FIRST_BLOCK_USED} AS first_used FROM ippool_range r WHERE r.pool_id = ? ORDER BY r.family, r.start_addr`,
    [BLOCK_SIZE, poolId],
  )
  return rows.map((r) => ({family: Number(r.family) as Family, start: BigInt(r.start_addr), end: BigInt(r.end_addr), firstBlockUsed: Number(r.first_used)}))
}

export interface LockedPool {
  id: number
  name: string
  segments: Segment[]
  /** The server's time once the lock was held: the new rows' created_at. */
  now: string
}

/**
 * Takes the pool's row lock (`FOR UPDATE`) and, in the same statement, reads
 * its ranges (a subquery, evaluated once the row is locked, so it sees every
 * allocation committed before) and the server's time. Ranges are listed as
 * `count:family start end used .,...`; a list cut short by
 * `group_concat_max_len` (1024 bytes by default on MySQL) is read again.
 */
export async function lockPool(tx: Tx, ref: string): Promise<LockedPool> {
  const byColumn = async (column: 'id' | 'name') => {
    const [rows] = await tx.query<any[]>(
      `SELECT p.id, p.name, SYSDATE(6) AS now,
         (SELECT CONCAT(COUNT(*), ':', IFNULL(GROUP_CONCAT(r.family, ' ', r.start_addr, ' ', r.end_addr, ' ', ${FIRST_BLOCK_USED}, ' .' ORDER BY r.family, r.start_addr SEPARATOR ','), ''))
          FROM ippool_range r WHERE r.pool_id = p.id) AS ranges
       FROM ippool p WHERE p.${column} = ? FOR UPDATE`,
      [BLOCK_SIZE, ref],
    )
    return rows[0]
  }
  // a numeric reference is tried as an id first, as findPool does
  const row = (/^\d+$/.test(ref) ? await byColumn('id') : undefined) ?? (await byColumn('name'))
  if (!row) throw noSuchPool(ref)
  const id = Number(row.id)
  return {id, name: row.name, segments: parseRanges(String(row.ranges)) ?? (await poolSegments(tx, id)), now: row.now}
}

function parseRanges(text: string): Segment[] | undefined {
  const colon = text.indexOf(':')
  const items = text.slice(colon + 1).split(',').filter((item) => item !== '')
  if (items.length !== Number(text.slice(0, colon)) || !items.every((item) => item.endsWith(' .'))) return undefined
  return items.map((item) => {
    const [family, start, end, used] = item.split(' ')
    return {family: Number(family) as Family, start: BigInt(start), end: BigInt(end), firstBlockUsed: Number(used)}
  })
}

/**
 * The first block from `from` up to `to` that may hold a free address: one
 * with no summary row, or one whose used count is below the block size (null:
 * none). Reads only summary rows, never the used addresses: the first one
 * below full, and the count, lowest and highest of those in a window of
 * WINDOW blocks, which settle it when the rows there run unbroken (a pool
 * filled from the start); otherwise the server walks the rows to the first
 * missing one.
 */
async function firstOpenBlock(tx: Tx, family: Family, from: bigint, to: bigint): Promise<OpenBlock | null> {
  const {sql, values, window} = blockSummarySql(family, from, to)
  const [rows] = await tx.query<any[]>(sql, values)
  const known = openBlockOf(from, to, window, rows)
  if (known !== undefined) return known
  const [walked] = await tx.query<any[]>(
    `SELECT x.block + 1 AS b FROM ipam_ip_block x WHERE x.family = ? AND x.block BETWEEN ? AND ?
       AND NOT EXISTS (SELECT 1 FROM ipam_ip_block y WHERE y.family = x.family AND y.block = x.block + 1) ORDER BY x.block LIMIT 1`,
    [family, from, to],
  )
  // the rows start at `from` (else it was settled above): the first missing block or the first below full
  const missing = walked[0] ? BigInt(walked[0].b) : to + 1n
  const below = rows.find((r) => Number(r.k) === NON_FULL)
  if (below && BigInt(below.a) < missing) return {block: BigInt(below.a), used: Number(below.b)}
  return missing <= to ? {block: missing, used: 0} : null
}

/** A block that may hold a free address, with its used count (from the summary). */
interface OpenBlock {
  block: bigint
  used: number
}

/** Summary rows a probe counts at most, looking for the next block worth reading. */
const WINDOW = 1024n

/** The two parts (kinds NON_FULL and BLOCK_RUN) that `openBlockOf` reads. */
function blockSummarySql(family: Family, from: bigint, to: bigint) {
  const window = minBig(to, from + WINDOW - 1n)
  return {
    sql: `(SELECT ${NON_FULL} AS k, block AS a, used AS b, NULL AS c, NULL AS d, NULL AS t FROM ipam_ip_block WHERE family = ? AND block BETWEEN ? AND ? AND used < ? ORDER BY block LIMIT 1)
      UNION ALL (SELECT ${BLOCK_RUN} AS k, MIN(block) AS a, MAX(block) AS b, COUNT(*) AS c, NULL AS d, NULL AS t FROM ipam_ip_block WHERE family = ? AND block BETWEEN ? AND ?)`,
    values: [family, from, to, BLOCK_SIZE, family, from, window],
    window,
  }
}

/** The first open block of [from, to] from the summary rows, when they settle it (undefined: they do not). */
function openBlockOf(from: bigint, to: bigint, window: bigint, rows: any[]): OpenBlock | null | undefined {
  const below = rows.find((r) => Number(r.k) === NON_FULL)
  const run = rows.find((r) => Number(r.k) === BLOCK_RUN)
  const nonFull = below ? {block: BigInt(below.a), used: Number(below.b)} : null
  const count = BigInt(run?.c ?? 0)
  let missing: bigint | undefined
  if (count === 0n || BigInt(run.a) > from) missing = from
  else if (BigInt(run.b) - from + 1n === count) missing = BigInt(run.b) + 1n
  if (missing === undefined) return nonFull?.block === from ? nonFull : undefined
  if (missing <= window) return nonFull !== null && nonFull.block < missing ? nonFull : {block: missing, used: 0}
  // every block of the window has a row
  if (nonFull !== null && nonFull.block <= window) return nonFull
  return window >= to ? null : undefined
}

const minBig = (a: bigint, b: bigint) => (a < b ? a : b)

/** Used addresses a probe lists before it relies on counts: all of a sparse block, a cheap start of a full one. */
const SCAN = 64
/** Used addresses a probe lists in a block the summary says is nearly full: the counts settle such a block. */
const NEARLY_FULL_SCAN = 4
/**
 * Used addresses read at a time when many are wanted, or when a block's first
 * read left holes unknown; each further read takes four times as many. A
 * listing is the cheapest way through a dense block: the client finds the
 * gaps (0.3 us a row here, against 1.4 us for the server to test each row's
 * successor).
 */
const CHUNK = 1024
/** Up to this many wanted, a block is first read briefly (SCAN); more, by CHUNK. */
const FEW = 8

// what each row of a probe is
const USED = 1
const PENDING = 2
const NETWORK = 3
const NON_FULL = 4
const BLOCK_RUN = 5

interface ProbeRequest {
  /**
   * The first `limit` used addresses; `counted` adds the span's highest used
   * address and, unless `count` is given (a whole block's count read with
   * the lock), its used count.
   */
  used?: {limit: number; counted: boolean; count?: bigint}
  /** The span's PENDING requests and the networks overlapping it. */
  exclusions?: boolean
  /** The first block after the span's, up to this one, that may hold a free address (when the summary settles it). */
  nextOpenUpTo?: bigint
}

interface Probe {
  used: bigint[]
  max: bigint | null
  count: bigint | null
  pending: bigint[]
  networks: any[]
  /** Undefined when not asked for or not settled by the summary; null: no block left. */
  nextOpen?: OpenBlock | null
}

/**
 * One statement (a UNION ALL, a `k` column saying what each row is) that tells
 * what a stretch [from, to] of one block holds. Every bound is a constant, so
 * each part is an index range or a few index lookups.
 */
async function probe(tx: Tx, family: Family, from: bigint, to: bigint, want: ProbeRequest): Promise<Probe> {
  const parts: string[] = []
  const values: unknown[] = []
  const part = (sql: string, ...v: unknown[]) => {
    parts.push(`(${sql})`)
    values.push(...v)
  }
  if (want.used) {
    let counts = 'NULL AS b, NULL AS c'
    const countValues: unknown[] = []
    if (want.used.counted) {
      counts = '(SELECT MAX(addr) FROM ip WHERE family = ? AND addr BETWEEN ? AND ?) AS b, '
      countValues.push(family, from, to)
      // a whole block's used count is its summary row; a part of one is counted
      if (want.used.count !== undefined) counts += 'NULL AS c'
      else if (from % BLOCK_SIZE === 0n && to - from + 1n === BLOCK_SIZE) {
        counts += '(SELECT used FROM ipam_ip_block WHERE family = ? AND block = ?) AS c'
        countValues.push(family, from / BLOCK_SIZE)
      } else {
        counts += '(SELECT COUNT(*) FROM ip WHERE family = ? AND addr BETWEEN ? AND ?) AS c'
        countValues.push(family, from, to)
      }
    }
    part(`SELECT ${USED} AS k, addr AS a, ${counts}, NULL AS d, NULL AS t FROM ip WHERE family = ? AND addr BETWEEN ? AND ? ORDER BY addr LIMIT ?`, ...countValues, family, from, to, want.used.limit)
  }
  if (want.exclusions) {
    part(`SELECT ${PENDING} AS k, pending_addr AS a, NULL AS b, NULL AS c, NULL AS d, NULL AS t FROM ip_request WHERE family = ? AND pending_addr BETWEEN ? AND ?`, family, from, to)
    const overlap = overlapCondition(family, from, to)
    part(`SELECT ${NETWORK} AS k, network AS a, broadcast AS b, prefix AS c, gateway AS d, cidr AS t FROM ipnet WHERE ${overlap.where}`, ...overlap.values)
  }
  const nextFrom = to / BLOCK_SIZE + 1n
  let window = 0n
  if (want.nextOpenUpTo !== undefined) {
    const summary = blockSummarySql(family, nextFrom, want.nextOpenUpTo)
    parts.push(summary.sql)
    values.push(...summary.values)
    window = summary.window
  }
  const [rows] = await tx.query<any[]>(parts.join(' UNION ALL '), values)
  const out: Probe = {used: [], max: null, count: want.used?.count ?? null, pending: [], networks: []}
  for (const r of rows) {
    switch (Number(r.k)) {
      case USED: {
        out.used.push(BigInt(r.a))
        if (r.b !== null) out.max = BigInt(r.b)
        if (r.c !== null) out.count = BigInt(r.c)
        break
      }
      case PENDING: {
        out.pending.push(BigInt(r.a))
        break
      }
      case NETWORK: {
        out.networks.push({family, network: r.a, broadcast: r.b, prefix: r.c, gateway: r.d, cidr: r.t})
        break
      }
    }
  }
  if (want.nextOpenUpTo !== undefined) out.nextOpen = openBlockOf(nextFrom, want.nextOpenUpTo, window, rows)
  // a UNION promises no order (its parts come in order in practice)
  if (out.used.some((v, i) => i > 0 && v < out.used[i - 1])) out.used.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return out
}

/** The used addresses of [from, to], lowest first, at most `limit`. */
async function usedIn(tx: Tx, family: Family, from: bigint, to: bigint, limit: number): Promise<bigint[]> {
  const [rows] = await tx.query<any[]>('SELECT addr FROM ip WHERE family = ? AND addr BETWEEN ? AND ? ORDER BY addr LIMIT ?', [family, from, to, limit])
  return rows.map((r) => BigInt(r.addr))
}

/**
 * Finds up to `want` free addresses, lowest first, in the segments: free means
 * no `ip` row, not reserved (network, broadcast, anycast or gateway of the
 * most specific network holding it), and no PENDING request for it. Full
 * blocks are skipped on the summary table. In a block, one statement reads
 * its first used addresses (with its used count and highest used address,
 * which settle a block used in one run), its PENDING requests and the
 * networks overlapping it, and, when the segment's first block is nearly
 * full, the next block worth reading: on an empty or sparse pool that one
 * statement finds the address. A block used in several dense runs is read on
 * in growing chunks, its gaps found here. Cost depends on the blocks visited, not on how
 * many addresses are used before them. The caller holds the pool's row lock;
 * the unique key on `ip` is the last guard.
 */
export async function findFree(tx: Tx, segments: Segment[], want: number): Promise<FreeAddress[]> {
  const found: FreeAddress[] = []
  for (const seg of segments) {
    await collectInSegment(tx, seg, want, found)
    if (found.length >= want) break
  }
  return found
}

async function collectInSegment(tx: Tx, seg: Segment, want: number, found: FreeAddress[]): Promise<void> {
  const lastBlock = seg.end / BLOCK_SIZE
  let cursor = seg.start
  let hint = seg.firstBlockUsed
  while (cursor <= seg.end && found.length < want) {
    const block = cursor / BLOCK_SIZE
    const to = minBig((block + 1n) * BLOCK_SIZE - 1n, seg.end)
    let next: OpenBlock | null | undefined
    // a block whose every address is used has none in the segment's part of it either
    if (hint === undefined || BigInt(hint) < BLOCK_SIZE) {
      // A block (nearly) used up is read briefly, and the same statement looks for the next one worth reading.
      const many = want - found.length > FEW
      const nearlyFull = hint !== undefined && BigInt(hint) >= BLOCK_SIZE - BigInt(SCAN)
      next = await collectSpan(tx, seg.family, cursor, to, want, found, {
        list: many ? CHUNK : nearlyFull ? NEARLY_FULL_SCAN : SCAN,
        blockUsed: hint,
        nextOpenUpTo: (many || nearlyFull) && block < lastBlock ? lastBlock : undefined,
      })
    }
    hint = undefined
    if (found.length >= want || to >= seg.end) return
    if (next === undefined) next = await firstOpenBlock(tx, seg.family, block + 1n, lastBlock)
    if (next === null) return
    cursor = next.block * BLOCK_SIZE
    hint = next.used
  }
}

/**
 * Collects free addresses of [from, to], a stretch of one block; returns the
 * next open block when the first probe was asked for it.
 */
async function collectSpan(
  tx: Tx, family: Family, from: bigint, to: bigint, want: number, found: FreeAddress[], opts: {list: number; blockUsed?: number; nextOpenUpTo?: bigint},
): Promise<OpenBlock | null | undefined> {
  // The block's used count, when known (from the summary, read in this transaction), says whether the
  // listing can fall short, and is the count of a whole block. The listing itself is not skipped even
  // when the count is 0: the summary is trusted to skip addresses, never to hand one out.
  const whole = from % BLOCK_SIZE === 0n && to - from + 1n === BLOCK_SIZE
  const known = opts.blockUsed === undefined ? undefined : BigInt(opts.blockUsed)
  let limit = opts.list
  const r = await probe(tx, family, from, to, {
    used: {limit, counted: known === undefined || known >= BigInt(limit), count: whole ? known : undefined},
    exclusions: true,
    nextOpenUpTo: opts.nextOpenUpTo,
  })
  const nextOpen = r.nextOpen
  const pending = new Set(r.pending)
  const networks = NetworkIndex.fromRows(r.networks)
  const reserved = reservedFrom(networks, family, from, to)
  const take = (first: bigint, last: bigint) => {
    // every address from `first` to `last` has no `ip` row
    for (let a = first; a <= last && found.length < want; a++) {
      if (!pending.has(a) && !reserved.has(a)) found.push({value: a, network: networks.find(family, a)?.cidr ?? null})
    }
  }
  let cursor = from
  let used = r.used
  for (;;) {
    for (const u of used) {
      take(cursor, u - 1n)
      cursor = u + 1n
    }
    if (used.length < limit) {
      take(cursor, to)
      return nextOpen
    }
    // the used addresses after those listed form one run up to the highest: the rest is known
    if (used === r.used && r.count !== null && r.max !== null && r.count - BigInt(used.length) === r.max - (cursor - 1n)) {
      take(r.max + 1n, to)
      return nextOpen
    }
    if (found.length >= want || cursor > to) return nextOpen
    // holes somewhere after the listed addresses: read on
    limit = limit < CHUNK ? CHUNK : limit * 4
    used = await usedIn(tx, family, cursor, to, limit)
  }
}
