import {BLOCK_SIZE} from '../db/schema.js'
import type {Tx} from '../db/tx.js'
import type {Family} from '../net/ip.js'
import {reservedIn} from './reserved.js'

/** One range of a pool: every address in it may be handed out except the reserved ones. */
export interface Segment {
  family: Family
  start: bigint
  end: bigint
  /** The network the range was added to. */
  network: string
}

/** The pool's ranges as segments, lowest first. */
export async function poolSegments(tx: Tx, poolId: number): Promise<Segment[]> {
  const [rows] = await tx.query<any[]>(
    `SELECT r.family, r.start_addr, r.end_addr, n.cidr
     FROM ippool_range r JOIN ipnet n ON n.id = r.ipnet_id WHERE r.pool_id = ? ORDER BY r.family, r.start_addr`,
    [poolId],
  )
  return rows.map((r) => ({family: Number(r.family) as Family, start: BigInt(r.start_addr), end: BigInt(r.end_addr), network: r.cidr}))
}

/**
 * The first block at or after `from` (up to `to`) that may hold a free
 * address: one with no summary row, or one whose used count is below the
 * block size. Reads only summary rows, never the used addresses.
 */
async function firstOpenBlock(tx: Tx, family: Family, from: bigint, to: bigint): Promise<bigint | undefined> {
  const f = from
  const t = to
  const [rows] = await tx.query<any[]>(
    `SELECT MIN(b) AS b FROM (
       SELECT ? AS b FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM ipam_ip_block WHERE family = ? AND block = ?)
       UNION ALL (SELECT block FROM ipam_ip_block WHERE family = ? AND block BETWEEN ? AND ? AND used < ? ORDER BY block LIMIT 1)
       UNION ALL (SELECT x.block + 1 FROM ipam_ip_block x LEFT JOIN ipam_ip_block y ON y.family = x.family AND y.block = x.block + 1
                  WHERE x.family = ? AND x.block BETWEEN ? AND ? AND y.block IS NULL ORDER BY x.block LIMIT 1)
     ) open_blocks`,
    [f, family, f, family, f, t, BLOCK_SIZE, family, f, t],
  )
  if (rows[0]?.b === null || rows[0]?.b === undefined) return undefined
  const b = BigInt(rows[0].b)
  return b <= to ? b : undefined
}

const CHUNK = 512
/** Up to this many wanted, gaps are found by the server; more, by walking the used addresses in chunks. */
const FEW = 8

const minBig = (a: bigint, b: bigint) => (a < b ? a : b)

/**
 * Finds up to `want` free addresses, lowest first, in the segments: free means
 * no `ip` row, not reserved (network, broadcast, anycast or gateway of the
 * most specific network holding it), and no PENDING request for it. Whole blocks are
 * skipped on the summary table; the (at most two) blocks a segment only partly
 * covers are counted exactly, since the summary counts the whole block. Cost
 * depends on the blocks visited, not on how many addresses are used before
 * them. The caller holds the pool's row lock; the unique key on `ip` is the
 * last guard.
 */
export async function findFree(tx: Tx, segments: Segment[], want: number): Promise<bigint[]> {
  const found: bigint[] = []
  for (const seg of segments) {
    let cursor = seg.start
    while (cursor <= seg.end && found.length < want) {
      let block = cursor / BLOCK_SIZE
      if (cursor === block * BLOCK_SIZE && (block + 1n) * BLOCK_SIZE - 1n <= seg.end) {
        const open = await firstOpenBlock(tx, seg.family, block, seg.end / BLOCK_SIZE)
        if (open === undefined) break
        block = open
        cursor = open * BLOCK_SIZE
        if (cursor > seg.end) break
      }
      const last = minBig((block + 1n) * BLOCK_SIZE - 1n, seg.end)
      const partial = cursor !== block * BLOCK_SIZE || last !== (block + 1n) * BLOCK_SIZE - 1n
      // A block the segment covers only in part may be full there although the summary says otherwise.
      const few = want - found.length <= FEW
      if (few || !partial || (await usedBetween(tx, seg.family, cursor, last)) < last - cursor + 1n) {
        await collectFree(tx, seg, cursor, last, want, found)
      }
      cursor = last + 1n
    }
    if (found.length >= want) break
  }
  return found
}

async function usedBetween(tx: Tx, family: Family, from: bigint, to: bigint): Promise<bigint> {
  const [rows] = await tx.query<any[]>('SELECT COUNT(*) AS n FROM ip WHERE family = ? AND addr BETWEEN ? AND ?', [family, from, to])
  return BigInt(rows[0].n)
}

/**
 * The lowest address in [from, to] without an `ip` row (null: none). One
 * index-only aggregate answers the common cases (nothing used at `from`, or
 * the used addresses form one run from `from`); otherwise the server walks to
 * the first gap.
 */
async function firstGap(tx: Tx, family: Family, from: bigint, to: bigint): Promise<bigint | null> {
  const [agg] = await tx.query<any[]>('SELECT COUNT(*) AS n, MIN(addr) AS lo, MAX(addr) AS hi FROM ip WHERE family = ? AND addr BETWEEN ? AND ?', [family, from, to])
  const n = BigInt(agg[0].n)
  if (n === 0n || BigInt(agg[0].lo) > from) return from
  const hi = BigInt(agg[0].hi)
  if (hi - from + 1n === n) return hi < to ? hi + 1n : null
  const [rows] = await tx.query<any[]>(
    `SELECT a.addr + 1 AS gap FROM ip a WHERE a.family = ? AND a.addr >= ? AND a.addr < ?
       AND NOT EXISTS (SELECT 1 FROM ip b WHERE b.family = a.family AND b.addr = a.addr + 1)
     ORDER BY a.addr LIMIT 1`,
    [family, from, to],
  )
  return rows.length === 0 ? null : BigInt(rows[0].gap)
}

/** Collects free addresses of one block (or the part of it in the segment). */
async function collectFree(tx: Tx, seg: Segment, from: bigint, to: bigint, want: number, found: bigint[]): Promise<void> {
  const [pendingRows] = await tx.query<any[]>("SELECT addr FROM ip_request WHERE status = 'PENDING' AND family = ? AND addr BETWEEN ? AND ?", [seg.family, from, to])
  const excluded = new Set<bigint>(pendingRows.map((r) => BigInt(r.addr)))
  // reserved addresses of the networks overlapping just this stretch: a few, whatever the range's size
  for (const a of (await reservedIn(tx, seg.family, from, to)).keys()) excluded.add(a)
  if (want - found.length <= FEW) {
    let at = from
    while (at <= to && found.length < want) {
      const gap = await firstGap(tx, seg.family, at, to)
      if (gap === null) return
      if (!excluded.has(gap)) found.push(gap)
      at = gap + 1n
    }
    return
  }
  let expected = from
  const take = (upTo: bigint) => {
    // every address from `expected` up to, not including, `upTo` is free
    for (let a = expected; a < upTo && found.length < want; a++) if (!excluded.has(a)) found.push(a)
  }
  for (;;) {
    const [rows] = await tx.query<any[]>('SELECT addr FROM ip WHERE family = ? AND addr >= ? AND addr <= ? ORDER BY addr LIMIT ?', [seg.family, expected, to, CHUNK])
    for (const r of rows) {
      const used = BigInt(r.addr)
      take(used)
      if (found.length >= want) return
      expected = used + 1n
    }
    if (rows.length < CHUNK) break
  }
  take(to + 1n)
}
