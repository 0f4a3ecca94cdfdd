import {audit} from '../admin/audit.js'
import {deleteAddressSpace} from '../admin/purge.js'
import {databaseError, IpamError, notFound} from '../errors.js'
import {type Database, openDatabase} from '../db/connect.js'
import {withTransaction} from '../db/tx.js'
import {type DbUrl, maskedUrl} from '../db/url.js'
import {instanceId, masterUrlOf, platformsOf, readIntegration} from './state.js'

/** The stored master URL with the password the operator gives (never one from the database). */
function masterUrl(row: {masterUrl: string}, password: string | undefined): {url: DbUrl; shown: string; missingPassword: boolean} {
  const {url, needsPassword} = masterUrlOf(row)
  return {url: {...url, password}, shown: maskedUrl({...url, password: needsPassword ? '' : undefined}), missingPassword: needsPassword && password === undefined}
}

export async function integrationStatus(db: Database, opts: {masterPassword?: string; onAttempt?: (where: string) => void} = {}) {
  const row = await readIntegration(db.pool)
  if (row) {
    const {url, shown, missingPassword} = masterUrl(row, opts.masterPassword)
    let reachable = false
    let error: string | null = null
    if (missingPassword) error = "the master's password is not given (IPAM_MASTER_PASSWORD or `ipam config set master-password`)"
    else {
      try {
        const master = await openDatabase(url, {onAttempt: opts.onAttempt})
        await master.pool.query('SELECT 1')
        await master.close()
        reachable = true
      } catch (e) {
        error = (e as Error).message
      }
    }
    return {role: 'platform' as const, state: row.state, master: shown, masterInstanceId: row.masterInstanceId, reachable, error, startedAt: row.startedAt, joinedAt: row.joinedAt}
  }
  const platforms = await platformsOf(db.pool)
  if (platforms.length > 0) return {role: 'master' as const, platforms}
  return {role: 'standalone' as const}
}

export interface RemoveResult {
  cancelled: boolean
  /** Detached without the master (`--force`): the master still lists this platform. */
  forced: boolean
  master: string
}

/**
 * Unregisters the platform from its master and drops the link. The address
 * space stays on the master; the platform keeps none. A setup that never
 * reached the master is just cancelled, keeping the platform's data.
 *
 * With `force`, a master that cannot be reached (gone for good) is left out:
 * the platform drops its link alone, and the master, should it come back,
 * still lists the platform. The caller warns and confirms first.
 */
export async function removeIntegration(platform: Database, opts: {masterPassword?: string; force?: boolean} = {}): Promise<RemoveResult> {
  const row = await readIntegration(platform.pool)
  if (!row) throw notFound('this database is not a platform of any master', 'see `ipam integration status`')
  const {url, shown} = masterUrl(row, opts.masterPassword)
  const id = await instanceId(platform.pool)
  let registered = false
  let forced = false
  try {
    const master = await openDatabase(url)
    try {
      registered = await withTransaction(master.pool, async (tx) => {
        const [res] = await tx.query<any>('DELETE FROM ipam_platforms WHERE instance_id = ?', [id])
        if (res.affectedRows > 0) await audit(tx, {action: 'integration.remove', objectType: 'platform', objectId: id, detail: {}})
        return res.affectedRows > 0
      })
    } finally {
      await master.close()
    }
  } catch (error) {
    if (!opts.force || !(error instanceof IpamError) || error.kind !== 'unavailable') {
      if (error instanceof IpamError && error.kind === 'unavailable') {
        throw databaseError(error.code, `cannot unregister from the master ${shown}: ${error.message}`, `if the master is gone for good, detach without it: \`ipam integration remove --force\``, error)
      }
      throw error
    }
    forced = true
  }
  await withTransaction(platform.pool, async (tx) => {
    if (registered || row.state === 'JOINED') {
      await deleteAddressSpace(tx, {pendingRequests: true})
    }
    await tx.query('DELETE FROM ipam_integration WHERE id = 1')
    await audit(tx, {action: forced ? 'integration.remove.forced' : registered ? 'integration.remove' : 'integration.cancel', objectType: 'master', objectId: row.masterInstanceId, detail: {master: shown}})
  })
  return {cancelled: !forced && !registered && row.state === 'SETUP', forced, master: shown}
}

/** Whether the master named by the platform's link can be reached now (for `remove --force`'s warning). */
export async function masterReachable(platform: Database, opts: {masterPassword?: string} = {}): Promise<{reachable: boolean; error?: string; master: string; state: 'SETUP' | 'JOINED'}> {
  const row = await readIntegration(platform.pool)
  if (!row) throw notFound('this database is not a platform of any master', 'see `ipam integration status`')
  const {url, shown} = masterUrl(row, opts.masterPassword)
  try {
    const master = await openDatabase(url)
    await master.close()
    return {reachable: true, master: shown, state: row.state}
  } catch (error) {
    return {reachable: false, error: (error as Error).message, master: shown, state: row.state}
  }
}
