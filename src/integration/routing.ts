import {databaseError, IpamError} from '../errors.js'
import {type Database, openDatabase} from '../db/connect.js'
import {requireMigrated} from '../db/schema.js'
import {localSession, type Session} from '../db/session.js'
import {maskedUrl} from '../db/url.js'
import {masterUrlOf, readIntegration} from './state.js'

export interface RoutingOptions {
  /** The master's password, looked up only when a master is to be opened (IPAM_MASTER_PASSWORD or the profile). */
  masterPassword: () => Promise<string | undefined>
  /** How the operator gives that password, for the message when it is missing or wrong. */
  passwordHint: string
  /** Called as the master's host is tried (see openDatabase). */
  onAttempt?: (where: string) => void
}

/**
 * For address-space and request commands: a platform's data lives on its
 * master. Each `session()` reads the platform's integration row again, so a
 * long-running process (`ipam serve`) follows a join or a removal without a
 * restart; the master's pool is kept while the master stays the same.
 */
export class MasterRouter {
  /** The master's pool, shared by concurrent sessions (serve answers several requests at once). */
  private master?: {key: string; db: Promise<Database>}

  constructor(private readonly local: Database, private readonly opts: RoutingOptions) {}

  async session(): Promise<Session> {
    const row = await readIntegration(this.local.pool)
    if (!row) {
      await this.dropMaster()
      return localSession(this.local)
    }
    if (row.state === 'SETUP') {
      throw databaseError('integration_unfinished', 'this database is in the middle of joining a master: its address space is on its way there', 'finish with `ipam integration setup --master <url> --email <admin>` (or cancel with `ipam integration remove`)')
    }
    if (this.master?.key !== row.masterUrl) {
      await this.dropMaster()
      const opening = {key: row.masterUrl, db: this.openMaster(row.masterUrl)}
      this.master = opening
      // A failed open is not kept: the next session tries again.
      opening.db.catch(() => {
        if (this.master === opening) this.master = undefined
      })
    }
    const target = await this.master.db
    return {local: this.local, target, master: maskedUrl(target.url)}
  }

  private async openMaster(stored: string): Promise<Database> {
    const {url, needsPassword} = masterUrlOf({masterUrl: stored})
    const shown = maskedUrl({...url, password: needsPassword ? '' : undefined})
    const password = await this.opts.masterPassword()
    if (needsPassword && password === undefined) {
      throw databaseError('master_password_missing', `this database is a platform of ${shown}, and the master's password is not given here (it is not kept in the database)`, this.opts.passwordHint)
    }
    try {
      const master = await openDatabase({...url, password}, {onAttempt: this.opts.onAttempt})
      try {
        await requireMigrated(master.pool)
      } catch (error) {
        await master.close()
        throw error
      }
      return master
    } catch (error) {
      if (error instanceof IpamError) {
        const hint = error.code === 'access_denied' ? `check the master's password: ${this.opts.passwordHint}` : error.hint
        throw new IpamError(error.kind, error.code, `this database is a platform of ${shown}, and the master: ${error.message}`, {hint})
      }
      throw error
    }
  }

  private async dropMaster(): Promise<void> {
    const old = this.master
    this.master = undefined
    if (old) await (await old.db.catch(() => undefined))?.close()
  }

  /** Closes the master's pool (the local database belongs to the caller). */
  async close(): Promise<void> {
    await this.dropMaster()
  }
}
