import {BLOCK_SIZE, CELL_SIZE, SUMMARIES_DEFERRED} from '../db/schema.js'
import type {Tx} from '../db/tx.js'

/**
 * The two address summaries, `ipam_ip_block` (addresses per block of 4096, for
 * next-free) and `ipam_ip_cell` (addresses by status per cell of 256, for
 * utilization), are kept by triggers on `ip`, two upserts for every row
 * written. A bulk writer (import, a batch allocation, approvals, restore) turns
 * the triggers off for its own session and adds what a whole batch changed in
 * two statements instead, in the same transaction: it commits with the rows
 * or not at all.
 */

export type SummaryStatus = 'ALLOCATED' | 'RESERVED' | 'USED'

const STATUS_COLUMN: Record<SummaryStatus, 0 | 1 | 2> = {ALLOCATED: 0, RESERVED: 1, USED: 2}
/** Rows an upsert writes at most (a batch of 2,000 contiguous addresses touches 9 cells and 1-2 blocks). */
const CHUNK = 5000

/** What some rows written to (or deleted from) `ip` change in the summaries. */
export class SummaryDelta {
  private blocks = new Map<string, [number, bigint, number]>()
  private cells = new Map<string, {family: number; cell: bigint; counts: [number, number, number]}>()

  /** One address of `status` (or `n` in the same cell) written (`sign` 1) or deleted (-1). */
  add(family: number, value: bigint, status: SummaryStatus, sign: 1 | -1 = 1, n = 1): void {
    const by = sign * n
    const block = value / BLOCK_SIZE
    const bKey = `${family}/${block}`
    const b = this.blocks.get(bKey)
    if (b) b[2] += by
    else this.blocks.set(bKey, [family, block, by])
    const cell = value / CELL_SIZE
    const cKey = `${family}/${cell}`
    let c = this.cells.get(cKey)
    if (!c) this.cells.set(cKey, (c = {family, cell, counts: [0, 0, 0]}))
    c.counts[STATUS_COLUMN[status]] += by
  }

  get empty(): boolean {
    return this.blocks.size === 0
  }

  /** Adds the changes to both summaries, and starts over. */
  async apply(tx: Tx): Promise<void> {
    const blocks = [...this.blocks.values()].filter((b) => b[2] !== 0)
    const cells = [...this.cells.values()].filter((c) => c.counts.some((n) => n !== 0)).map((c) => [c.family, c.cell, ...c.counts])
    this.blocks.clear()
    this.cells.clear()
    for (let i = 0; i < blocks.length; i += CHUNK) {
      await tx.query('INSERT INTO ipam_ip_block (family, block, used) VALUES ? ON DUPLICATE KEY UPDATE used = used + VALUES(used)', [blocks.slice(i, i + CHUNK)])
    }
    for (let i = 0; i < cells.length; i += CHUNK) {
      await tx.query(
        'INSERT INTO ipam_ip_cell (family, cell, allocated, reserved, used) VALUES ? ON DUPLICATE KEY UPDATE allocated = allocated + VALUES(allocated), reserved = reserved + VALUES(reserved), used = used + VALUES(used)',
        [cells.slice(i, i + CHUNK)],
      )
    }
  }
}

/**
 * Runs `work` with the summary triggers off for this connection only: every
 * row `work` writes to or deletes from `ip` must go through a SummaryDelta it
 * applies before it returns. The triggers are back on however `work` ends; a
 * connection on which that fails is closed, never handed to another user.
 */
export async function withSummariesDeferred<T>(tx: Tx, work: () => Promise<T>): Promise<T> {
  await tx.query(`SET ${SUMMARIES_DEFERRED} = 1`)
  const reset = async () => {
    try {
      await tx.query(`SET ${SUMMARIES_DEFERRED} = NULL`)
    } catch (error) {
      tx.destroy()
      throw error
    }
  }
  let result: T
  try {
    result = await work()
  } catch (error) {
    // What went wrong is the work's error (a lost connection, a duplicate), not the reset's.
    await reset().catch(() => undefined)
    throw error
  }
  await reset()
  return result
}

/** Below this many rows the triggers are cheaper than turning them off and back on (two more round trips). */
export const DEFER_FROM = 50

/**
 * One multi-row INSERT into `ip`; `columns` (written by the caller, never
 * user input) start with `family, addr, status`, and so does every row. With
 * many rows the summaries are added to by a batch, not row by row.
 */
export async function insertAddressRows(tx: Tx, columns: string, rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return
  const sql = `INSERT INTO ip (${columns}) VALUES ?`
  if (rows.length < DEFER_FROM) {
    await tx.query(sql, [rows])
    return
  }
  const delta = new SummaryDelta()
  for (const r of rows) delta.add(Number(r[0]), BigInt(r[1] as bigint), r[2] as SummaryStatus)
  await withSummariesDeferred(tx, () => tx.query(sql, [rows]))
  await delta.apply(tx)
}

/**
 * Both summaries recomputed from the addresses, for a writer that replaced
 * most of them (restore): one pass over `ip` instead of one upsert a row.
 */
export async function recomputeSummaries(tx: Tx): Promise<void> {
  await tx.query('DELETE FROM ipam_ip_block')
  await tx.query('INSERT INTO ipam_ip_block (family, block, used) SELECT family, FLOOR(addr / ?), COUNT(*) FROM ip GROUP BY family, FLOOR(addr / ?)', [BLOCK_SIZE, BLOCK_SIZE])
  await tx.query('DELETE FROM ipam_ip_cell')
  await tx.query(
    "INSERT INTO ipam_ip_cell (family, cell, allocated, reserved, used) SELECT family, FLOOR(addr / ?), SUM(status = 'ALLOCATED'), SUM(status = 'RESERVED'), SUM(status = 'USED') FROM ip GROUP BY family, FLOOR(addr / ?)",
    [CELL_SIZE, CELL_SIZE],
  )
}
