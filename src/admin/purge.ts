import type {Pool} from 'mysql2/promise'

import {conflict} from '../errors.js'
import {withTransaction} from '../db/tx.js'
import {audit} from './audit.js'
import {withSummariesDeferred} from '../space/summaries.js'
import {plural} from '../text.js'

export interface PurgeCounts {
  addresses: number
  ranges: number
  pools: number
  networks: number
}

async function counts(db: Pool | import('../db/tx.js').Tx): Promise<PurgeCounts> {
  const n = async (t: string) => Number((await db.query<any[]>(`SELECT COUNT(*) AS n FROM ${t}`))[0][0].n)
  return {addresses: await n('ip'), ranges: await n('ippool_range'), pools: await n('ippool'), networks: await n('ipnet')}
}

/** A master with platforms joined holds their address space: purging it would lose theirs. */
async function refuseOnMaster(db: Pool | import('../db/tx.js').Tx): Promise<void> {
  const [rows] = await db.query<any[]>('SELECT instance_id, name FROM ipam_platforms ORDER BY joined_at')
  if (rows.length > 0) {
    throw conflict('master_with_platforms', `this database is a master with ${plural(rows.length, 'platform')} joined (${rows.map((r) => r.name).join(', ')}); purging it would delete their address space`, 'remove the platforms first (`ipam integration remove` on each)')
  }
}

export async function planPurge(pool: Pool): Promise<PurgeCounts> {
  await refuseOnMaster(pool)
  return counts(pool)
}

/**
 * Deletes the address space inside the caller's transaction, children first;
 * with `pendingRequests`, also the PENDING requests (they moved to a master).
 */
export async function deleteAddressSpace(tx: import('../db/tx.js').Tx, opts: {pendingRequests?: boolean} = {}): Promise<void> {
  // Every address goes, so the summaries are emptied whole rather than row by row by the triggers.
  await withSummariesDeferred(tx, () => tx.query('DELETE FROM ip'))
  await tx.query('DELETE FROM ipam_ip_block')
  await tx.query('DELETE FROM ipam_ip_cell')
  await tx.query('DELETE FROM ippool_range')
  await tx.query('DELETE FROM ippool')
  await tx.query('DELETE FROM ipnet')
  if (opts.pendingRequests) await tx.query("DELETE FROM ip_request WHERE status = 'PENDING'")
}

/** Deletes every address, range, pool and network in one transaction: all or nothing. */
export async function purge(pool: Pool): Promise<PurgeCounts> {
  return withTransaction(pool, async (tx) => {
    await refuseOnMaster(tx)
    const before = await counts(tx)
    await deleteAddressSpace(tx)
    await audit(tx, {action: 'purge', objectType: 'database', detail: {...before}})
    return before
  }, {attempts: 3})
}
