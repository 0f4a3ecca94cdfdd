import type {ResultSetHeader} from 'mysql2/promise'

import type {Tx} from '../db/tx.js'
import type {Family} from '../net/ip.js'
import type {OnProgress} from '../progress.js'

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
  if (!report) {
    for (const sp of spans) await tx.query('DELETE FROM ip WHERE family = ? AND addr BETWEEN ? AND ?', [sp.family, sp.start, sp.end])
    return
  }
  let done = 0
  report({stage: 'deleting', done, total: opts.total, unit: 'addresses'})
  for (const sp of spans) {
    let lo = sp.start
    for (;;) {
      const [rows] = await tx.query<any[]>('SELECT addr FROM ip WHERE family = ? AND addr BETWEEN ? AND ? ORDER BY addr LIMIT 1 OFFSET ?', [sp.family, lo, sp.end, CHUNK - 1])
      const hi = rows.length > 0 ? BigInt(rows[0].addr) : sp.end
      const [result] = await tx.query<ResultSetHeader>('DELETE FROM ip WHERE family = ? AND addr BETWEEN ? AND ?', [sp.family, lo, hi])
      done += result.affectedRows
      report({stage: 'deleting', done, total: opts.total, unit: 'addresses'})
      if (hi >= sp.end) break
      lo = hi + 1n
    }
  }
}
