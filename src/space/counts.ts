import type {Pool} from 'mysql2/promise'

import type {Tx} from '../db/tx.js'
import type {Family} from '../net/ip.js'
import type {Queryable} from '../db/query.js'

export interface Span {
  key: number
  family: Family
  start: bigint
  end: bigint
}

const CHUNK = 1000

/**
 * Counts the addresses in each span, by status. Each span is its own
 * constant-range count on the (family, addr) index, many spans to one
 * UNION ALL statement: a correlated count (`addr BETWEEN n.network AND
 * n.broadcast`) is planned by MariaDB as a scan of the whole family for every
 * network, which at a million addresses takes minutes.
 */
export async function countInSpans(db: Queryable, spans: Span[]): Promise<Map<number, Record<string, number>>> {
  const out = new Map<number, Record<string, number>>()
  for (const s of spans) out.set(s.key, {ALLOCATED: 0, RESERVED: 0, USED: 0, total: 0})
  for (let i = 0; i < spans.length; i += CHUNK) {
    const chunk = spans.slice(i, i + CHUNK)
    const sql = chunk.map(() => '(SELECT ? AS k, status, COUNT(*) AS n FROM ip WHERE family = ? AND addr BETWEEN ? AND ? GROUP BY status)').join(' UNION ALL ')
    const [rows] = await db.query<any[]>(sql, chunk.flatMap((s) => [s.key, s.family, s.start, s.end]))
    for (const r of rows) {
      const c = out.get(Number(r.k))!
      c[r.status] = Number(r.n)
      c.total += Number(r.n)
    }
  }
  return out
}
