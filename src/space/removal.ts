import type {ResultSetHeader} from 'mysql2/promise'

import type {Tx} from '../db/tx.js'
import type {Family} from '../net/ip.js'
import type {OnProgress} from '../progress.js'
import {CELL_SIZE} from '../db/schema.js'
import {DEFER_FROM, SummaryDelta, withSummariesDeferred} from './summaries.js'

/** Addresses deleted by one statement while progress is reported. */
const CHUNK = 10_000

/**
 * Deletes the addresses in `spans` (inclusive address runs of one family), in
 * the caller's transaction. Without `onProgress` one statement a span does it;
 * with it, runs of CHUNK addresses are deleted one after the other, each up to
 * the CHUNK-th address from where the last ended, so that no statement scans
 * rows deleted before it, and progress is reported after each.
 */
export async function deleteAddressesIn(tx: Tx, spans: {family: Family; start: bigint; end: bigint}[], opts: {total?: number; onProgress?: OnProgress} = {}): Promise<void> {
  const report = opts.onProgress
  const many = opts.total === undefined || opts.total >= DEFER_FROM
  const remove = many ? (family: Family, lo: bigint, hi: bigint) => deleteCounted(tx, family, lo, hi) : (family: Family, lo: bigint, hi: bigint) => tx.query<ResultSetHeader>('DELETE FROM ip WHERE family = ? AND addr BETWEEN ? AND ?', [family, lo, hi]).then(([r]) => r.affectedRows)
  if (!report) {
    for (const sp of spans) await remove(sp.family, sp.start, sp.end)
    return
  }
  let done = 0
  report({stage: 'deleting', done, total: opts.total, unit: 'addresses'})
  for (const sp of spans) {
    let lo = sp.start
    for (;;) {
      const [rows] = await tx.query<any[]>('SELECT addr FROM ip WHERE family = ? AND addr BETWEEN ? AND ? ORDER BY addr LIMIT 1 OFFSET ?', [sp.family, lo, sp.end, CHUNK - 1])
      const hi = rows.length > 0 ? BigInt(rows[0].addr) : sp.end
      done += await remove(sp.family, lo, hi)
      report({stage: 'deleting', done, total: opts.total, unit: 'addresses'})
      if (hi >= sp.end) break
      lo = hi + 1n
    }
  }
}

/**
 * Deletes the addresses of one run with the summary triggers off, taking from
 * the summaries what the run held, read first under lock (FOR UPDATE locks
 * the run and its gaps: nothing can be written into it before the DELETE).
 */
async function deleteCounted(tx: Tx, family: Family, lo: bigint, hi: bigint): Promise<number> {
  const [held] = await tx.query<any[]>(`SELECT FLOOR(addr / ${CELL_SIZE}) AS cell, status, COUNT(*) AS n FROM ip WHERE family = ? AND addr BETWEEN ? AND ? GROUP BY FLOOR(addr / ${CELL_SIZE}), status FOR UPDATE`, [family, lo, hi])
  if (held.length === 0) return 0
  const delta = new SummaryDelta()
  for (const h of held) delta.add(family, BigInt(h.cell) * CELL_SIZE, h.status, -1, Number(h.n))
  const [result] = await withSummariesDeferred(tx, () => tx.query<ResultSetHeader>('DELETE FROM ip WHERE family = ? AND addr BETWEEN ? AND ?', [family, lo, hi]))
  await delta.apply(tx)
  return result.affectedRows
}
