import {databaseError, IpamError} from '../errors.js'
import {type Database, openDatabase} from '../db/connect.js'
import {requireMigrated} from '../db/schema.js'
import {maskedUrl} from '../db/url.js'
import {masterUrlOf, readIntegration} from './state.js'

/**
 * For address-space and request commands: a platform's data lives on its
 * master. Returns the master to work on (undefined on a standalone database
 * or a master); refuses while a setup is unfinished.
 */
export async function routeToMaster(platform: Database): Promise<Database | undefined> {
  const row = await readIntegration(platform.pool)
  if (!row) return undefined
  if (row.state === 'SETUP') {
    throw databaseError('integration_unfinished', 'this database is in the middle of joining a master: its address space is on its way there', 'finish with `ipam integration setup --master <url> --email <admin>` (or cancel with `ipam integration remove`)')
  }
  const url = masterUrlOf(row)
  try {
    const master = await openDatabase(url)
    await requireMigrated(master.pool)
    return master
  } catch (error) {
    if (error instanceof IpamError) throw new IpamError(error.kind, error.code, `this database is a platform of ${maskedUrl(url)}, and the master: ${error.message}`, {hint: error.hint})
    throw error
  }
}
