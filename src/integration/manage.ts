import type {Pool} from 'mysql2/promise'

import {audit} from '../admin/audit.js'
import {deleteAddressSpace} from '../admin/purge.js'
import {notFound} from '../errors.js'
import {type Database, openDatabase} from '../db/connect.js'
import {withTransaction} from '../db/tx.js'
import {maskedUrl} from '../db/url.js'
import {masterUrlOf} from './setup.js'
import {instanceId, platformsOf, readIntegration} from './state.js'

export async function integrationStatus(db: Database) {
  const row = await readIntegration(db.pool)
  if (row) {
    const url = masterUrlOf(row)
    let reachable = false
    let error: string | null = null
    try {
      const master = await openDatabase(url)
      await master.pool.query('SELECT 1')
      await master.close()
      reachable = true
    } catch (e) {
      error = (e as Error).message
    }
    return {role: 'platform' as const, state: row.state, master: maskedUrl(url), masterInstanceId: row.masterInstanceId, reachable, error, startedAt: row.startedAt, joinedAt: row.joinedAt}
  }
  const platforms = await platformsOf(db.pool)
  if (platforms.length > 0) return {role: 'master' as const, platforms}
  return {role: 'standalone' as const}
}

/**
 * Unregisters the platform from its master and drops the link. The address
 * space stays on the master; the platform keeps none. A setup that never
 * reached the master is just cancelled, keeping the platform's data.
 */
export async function removeIntegration(platform: Database): Promise<{cancelled: boolean; master: string}> {
  const row = await readIntegration(platform.pool)
  if (!row) throw notFound('this database is not a platform of any master', 'see `ipam integration status`')
  const url = masterUrlOf(row)
  const id = await instanceId(platform.pool)
  const master = await openDatabase(url)
  let registered: boolean
  try {
    registered = await withTransaction(master.pool, async (tx) => {
      const [res] = await tx.query<any>('DELETE FROM ipam_platforms WHERE instance_id = ?', [id])
      if (res.affectedRows > 0) await audit(tx, {action: 'integration.remove', objectType: 'platform', objectId: id, detail: {}})
      return res.affectedRows > 0
    })
  } finally {
    await master.close()
  }
  await withTransaction(platform.pool, async (tx) => {
    if (registered || row.state === 'JOINED') {
      await deleteAddressSpace(tx, {pendingRequests: true})
    }
    await tx.query('DELETE FROM ipam_integration WHERE id = 1')
    await audit(tx, {action: registered ? 'integration.remove' : 'integration.cancel', objectType: 'master', objectId: row.masterInstanceId, detail: {master: maskedUrl(url)}})
  })
  return {cancelled: !registered && row.state === 'SETUP', master: maskedUrl(url)}
}

export type {Pool}
