import {CELL_SIZE} from '../db/schema.js'
import type {Family} from '../net/ip.js'
import type {Queryable} from '../db/query.js'

export interface Span {
  key: number
  family: Family
  start: bigint
  end: bigint
}

export const STATUSES = ['ALLOCATED', 'RESERVED', 'USED'] as const
export type Status = (typeof STATUSES)[number]
export type StatusCounts = Record<Status | 'total', number>

/** Addresses by status, in the order of STATUSES. */
type Sums = number[]
const NONE: Sums = [0, 0, 0]

/** Cell ranges this many cells apart or closer are read as one: a few rows in between cost less than another statement. */
const GAP = 64n
/**
 * A range of cells is read row by row when it has at most this many cells per
 * span in it (plus DENSE_SLACK): a row costs about a sixtieth of a statement
 * in a UNION ALL, so reading them is cheaper than a sum per span, and their
 * number is bounded by the spans'. Wider (a /8 holding millions of addresses,
 * IPv6), the server sums each span's cells and sends one row per span.
 */
const DENSE_PER_SPAN = 64n
const DENSE_SLACK = 1024n
/** Subqueries (or IN values) per statement. */
const CHUNK = 1000

interface Plan {
  span: Span
  /** The cells the span covers whole, if any. */
  whole?: [bigint, bigint]
  /** The (at most two) cells it covers in part, with the part. */
  partial: {cell: bigint; start: bigint; end: bigint}[]
}

function plan(span: Span): Plan {
  const first = span.start / CELL_SIZE
  const last = span.end / CELL_SIZE
  const wholeFrom = span.start % CELL_SIZE === 0n ? first : first + 1n
  const wholeTo = (span.end + 1n) % CELL_SIZE === 0n ? last : last - 1n
  const p: Plan = {span, partial: []}
  if (wholeFrom <= wholeTo) p.whole = [wholeFrom, wholeTo]
  if (first === last) {
    if (!p.whole) p.partial.push({cell: first, start: span.start, end: span.end})
  } else {
    if (wholeFrom !== first) p.partial.push({cell: first, start: span.start, end: (first + 1n) * CELL_SIZE - 1n})
    if (wholeTo !== last) p.partial.push({cell: last, start: last * CELL_SIZE, end: span.end})
  }
  return p
}

const cmp = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0)
const cellKey = (family: Family, cell: bigint) => `${family}:${cell}`
const sumsOf = (r: any): Sums => [Number(r.allocated ?? 0), Number(r.reserved ?? 0), Number(r.used ?? 0)]

/** Summary rows read one by one, in cell order, with running sums. */
class Cells {
  readonly cells: bigint[] = []
  /** sums[s][i]: addresses of status s in the cells before index i */
  readonly sums: number[][] = STATUSES.map(() => [0])

  add(cell: bigint, counts: Sums): void {
    this.cells.push(cell)
    counts.forEach((n, s) => this.sums[s].push(this.sums[s].at(-1)! + n))
  }

  /** Index of the first cell >= `cell`. */
  private from(cell: bigint): number {
    let lo = 0
    let hi = this.cells.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.cells[mid] < cell) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  between(lo: bigint, hi: bigint): Sums {
    const a = this.from(lo)
    const b = this.from(hi + 1n)
    return this.sums.map((sum) => sum[b] - sum[a])
  }
}

/**
 * What the summary says about each plan: the sums of its whole cells and the
 * counts in its partial cells. The spans' cells are merged into ranges (a
 * small gap bridged; nested spans fall into one). A range with few cells for
 * its spans is read row by row, many ranges to a UNION ALL, and summed here;
 * a wide one (where rows could be many) is summed by the server, a span a
 * subquery, and its partial cells looked up by key.
 */
async function summarize(db: Queryable, plans: Plan[]): Promise<{whole: Map<Plan, Sums>; cells: Map<string, Sums>}> {
  const whole = new Map<Plan, Sums>()
  const cells = new Map<string, Sums>()
  const sorted = [...plans].sort((a, b) => a.span.family - b.span.family || cmp(a.span.start, b.span.start))
  const ranges: {family: Family; lo: bigint; hi: bigint; plans: Plan[]}[] = []
  for (const p of sorted) {
    const lo = p.span.start / CELL_SIZE
    const hi = p.span.end / CELL_SIZE
    const prev = ranges.at(-1)
    if (prev && prev.family === p.span.family && lo <= prev.hi + GAP) {
      if (hi > prev.hi) prev.hi = hi
      prev.plans.push(p)
    } else ranges.push({family: p.span.family, lo, hi, plans: [p]})
  }
  const dense: typeof ranges = []
  const wide: typeof ranges = []
  for (const r of ranges) (r.hi - r.lo + 1n <= DENSE_PER_SPAN * BigInt(r.plans.length) + DENSE_SLACK ? dense : wide).push(r)

  // dense: the rows themselves, summed here
  const read = new Map<Family, Cells>()
  for (let i = 0; i < dense.length; i += CHUNK) {
    const chunk = dense.slice(i, i + CHUNK)
    const sql = chunk.map(() => '(SELECT family, cell, allocated, reserved, used FROM ipam_ip_cell WHERE family = ? AND cell BETWEEN ? AND ?)').join(' UNION ALL ')
    const [rows] = await db.query<any[]>(sql, chunk.flatMap((r) => [r.family, r.lo, r.hi]))
    // the ranges are in order and apart, but a UNION ALL need not keep that order
    const got = rows.map((r) => ({family: Number(r.family) as Family, cell: BigInt(r.cell), counts: sumsOf(r)}))
    got.sort((a, b) => a.family - b.family || cmp(a.cell, b.cell))
    for (const r of got) {
      if (r.counts.every((n) => n === 0)) continue
      if (!read.has(r.family)) read.set(r.family, new Cells())
      read.get(r.family)!.add(r.cell, r.counts)
    }
  }
  for (const r of dense) {
    const table = read.get(r.family)
    for (const p of r.plans) {
      if (p.whole) whole.set(p, table ? table.between(...p.whole) : NONE)
      for (const c of p.partial) cells.set(cellKey(r.family, c.cell), table ? table.between(c.cell, c.cell) : NONE)
    }
  }

  // wide: a sum per span from the server, the partial cells by key
  const sums = wide.flatMap((r) => r.plans.filter((p) => p.whole))
  for (let i = 0; i < sums.length; i += CHUNK) {
    const chunk = sums.slice(i, i + CHUNK)
    const sql = chunk.map(() => '(SELECT ? AS k, SUM(allocated) AS allocated, SUM(reserved) AS reserved, SUM(used) AS used FROM ipam_ip_cell WHERE family = ? AND cell BETWEEN ? AND ?)').join(' UNION ALL ')
    const [rows] = await db.query<any[]>(sql, chunk.flatMap((p, j) => [j, p.span.family, ...p.whole!]))
    for (const r of rows) whole.set(chunk[Number(r.k)], sumsOf(r))
  }
  const lookups = new Map<Family, Set<bigint>>()
  for (const r of wide) for (const p of r.plans) for (const c of p.partial) lookups.set(r.family, (lookups.get(r.family) ?? new Set()).add(c.cell))
  for (const [family, set] of lookups) {
    const list = [...set]
    for (const c of list) cells.set(cellKey(family, c), NONE)
    for (let i = 0; i < list.length; i += CHUNK) {
      const [rows] = await db.query<any[]>('SELECT cell, allocated, reserved, used FROM ipam_ip_cell WHERE family = ? AND cell IN (?)', [family, list.slice(i, i + CHUNK)])
      for (const r of rows) cells.set(cellKey(family, BigInt(r.cell)), sumsOf(r))
    }
  }
  return {whole, cells}
}

/**
 * Counts the addresses in each span, by status (`total` too), from the
 * per-cell summary `ipam_ip_cell` (256 addresses a cell, kept by triggers on
 * `ip`): the cells a span covers whole are summed from the summary, and only
 * the (at most two) cells it covers in part are counted exactly on the
 * `(family, addr)` index, and only when the summary holds addresses there
 * (not for an empty cell, nor a full one of one status). So the cost follows
 * the spans, not how many addresses are stored, and many spans take a few
 * statements (see `summarize`). The exact counts are constant-range counts,
 * many to a `UNION ALL` (a correlated count, `addr BETWEEN n.network AND
 * n.broadcast`, is planned by MariaDB as a scan of the whole family for every
 * network).
 */
export async function countInSpans(db: Queryable, spans: Span[]): Promise<Map<number, StatusCounts>> {
  return count(db, spans, true)
}

/** Like `countInSpans`, for when only the totals are needed: a partial cell is then counted on the index alone. */
export async function totalInSpans(db: Queryable, spans: Span[]): Promise<Map<number, number>> {
  const counts = await count(db, spans, false)
  return new Map([...counts].map(([k, c]) => [k, c.total]))
}

async function count(db: Queryable, spans: Span[], byStatus: boolean): Promise<Map<number, StatusCounts>> {
  const out = new Map<number, StatusCounts>()
  for (const s of spans) out.set(s.key, {ALLOCATED: 0, RESERVED: 0, USED: 0, total: 0})
  const add = (key: number, status: Status | undefined, n: number) => {
    const c = out.get(key)!
    if (status && byStatus) c[status] += n
    c.total += n
  }
  const plans = spans.map(plan)
  const summary = await summarize(db, plans)
  const exact: {key: number; family: Family; start: bigint; end: bigint; only?: Status}[] = []
  for (const p of plans) {
    const s = p.span
    if (p.whole) summary.whole.get(p)!.forEach((n, i) => n !== 0 && add(s.key, STATUSES[i], n))
    for (const {cell, start, end} of p.partial) {
      const inCell = summary.cells.get(cellKey(s.family, cell))!
      const held = inCell.reduce((a, b) => a + b, 0)
      if (held === 0) continue
      const statuses = STATUSES.filter((_, i) => inCell[i] !== 0)
      const only = statuses.length === 1 ? statuses[0] : undefined
      if (held === Number(CELL_SIZE) && (only || !byStatus)) {
        // a full cell: every address of the part is there
        add(s.key, only, Number(end - start + 1n))
        continue
      }
      // one status in the cell (or only the total wanted): an index-only count
      exact.push({key: s.key, family: s.family, start, end, only: only ?? (byStatus ? undefined : 'USED')})
    }
  }
  for (let i = 0; i < exact.length; i += CHUNK) {
    const chunk = exact.slice(i, i + CHUNK)
    const sql = chunk
      .map((p) => (p.only
        ? '(SELECT ? AS k, ? AS status, COUNT(*) AS n FROM ip WHERE family = ? AND addr BETWEEN ? AND ?)'
        : '(SELECT ? AS k, status, COUNT(*) AS n FROM ip WHERE family = ? AND addr BETWEEN ? AND ? GROUP BY status)'))
      .join(' UNION ALL ')
    const [rows] = await db.query<any[]>(sql, chunk.flatMap((p) => (p.only ? [p.key, p.only, p.family, p.start, p.end] : [p.key, p.family, p.start, p.end])))
    for (const r of rows) add(Number(r.k), r.status, Number(r.n))
  }
  return out
}
