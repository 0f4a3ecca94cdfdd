import {join} from 'node:path'
import {Command, Flags} from '@oclif/core'

import {type Database, mapDriverError, masterPasswordHint, openDatabase, resolveConnection, resolveMasterPassword} from '../db/connect.js'
import {IpamError} from '../errors.js'
import {localSession, type Session} from '../db/session.js'
import type {DbUrl} from '../db/url.js'
import {requireMigrated} from '../db/schema.js'
import {MasterRouter} from '../integration/routing.js'
import {BaseCommand} from './base.js'
import {isInteractive, promptPassword} from './prompt.js'
import {connectionWait} from './progress.js'

/** Commands that talk to a database: --db / --profile, one pool per process. */
export abstract class DbCommand<T extends typeof Command> extends BaseCommand<T> {
  static override baseFlags = {
    ...BaseCommand.baseFlags,
    db: Flags.string({helpGroup: 'GLOBAL', env: 'IPAM_DATABASE_URL', description: 'database URL mysql://user:password@host:port/db (env IPAM_DATABASE_URL)'}),
    profile: Flags.string({helpGroup: 'GLOBAL', env: 'IPAM_PROFILE', description: 'connection profile to use (env IPAM_PROFILE)'}),
  }

  private database?: Database
  private router?: MasterRouter
  private currentSession?: Session
  /** Says what the master's connection waits for, while a session opens it. */
  private masterWait?: ReturnType<typeof connectionWait>
  /** A check for cron (networks list --over) says nothing when all is well, not even where its data lives. */
  protected quietRouting = false

  /** Opens the database the command names (never routed); checks the schema unless `skipSchemaCheck`. */
  protected async db(opts: {skipSchemaCheck?: boolean; withDatabase?: boolean} = {}): Promise<Database> {
    if (this.database) return this.database
    const flags = this.flags as {db?: string; profile?: string}
    const {url, source} = await resolveConnection({db: flags.db, profile: flags.profile, configDir: this.config.configDir})
    this.addSecret(url.password)
    let database: Database
    try {
      database = await this.connect(url, {withDatabase: opts.withDatabase})
    } catch (error) {
      // A stopped sandbox: say so, rather than "connection refused" (the sandbox module loads only here).
      const sandbox = error instanceof IpamError && error.code === 'unreachable' ? await import('../sandbox/sandbox.js') : undefined
      if (sandbox?.isSandboxUrl(url) && !(await sandbox.sandboxStatus(join(this.config.dataDir, 'sandbox'))).running) {
        throw new IpamError('unavailable', 'sandbox_not_running', 'the sandbox is not running: `ipam sandbox start`', {hint: 'eval "$(ipam sandbox start)" starts a new, empty one and sets IPAM_DATABASE_URL for it', cause: error})
      }
      // No password anywhere and a person at the keyboard: ask once.
      const denied = error instanceof IpamError && error.code === 'access_denied'
      if (!denied || url.password !== undefined || !isInteractive()) throw error
      url.password = await promptPassword(`Password for ${url.user}:`)
      this.addSecret(url.password)
      database = await this.connect(url, {withDatabase: opts.withDatabase})
    }
    this.database = database
    if (this.verbose) this.note(`[ipam] connected to ${database.node} (from ${source})`)
    if (!opts.skipSchemaCheck) await requireMigrated(database.pool).catch((error) => {
      throw mapDriverError(error, url)
    })
    return database
  }

  /** openDatabase, saying on a terminal what a connection waits for once it has waited a second. */
  protected async connect(url: DbUrl, opts: {withDatabase?: boolean} = {}): Promise<Database> {
    const wait = connectionWait({json: this.json})
    try {
      return await openDatabase(url, {...opts, onAttempt: (where) => wait.attempt(where)})
    } finally {
      wait.stop()
    }
  }

  /** The master's password as the operator gives it (IPAM_MASTER_PASSWORD or the profile), registered as a secret. */
  protected async masterPassword(): Promise<string | undefined> {
    const {password} = await resolveMasterPassword({profile: (this.flags as {profile?: string}).profile, configDir: this.config.configDir})
    this.addSecret(password)
    return password
  }

  /**
   * Address-space and request commands work in a session: `target` is the
   * master when this database is a joined platform (said on stderr), else
   * this database. `{local: true}` stays on this database (read-only history).
   */
  protected async session(opts: {local?: boolean} = {}): Promise<Session> {
    const local = await this.db()
    if (opts.local) return (this.currentSession = localSession(local))
    if (!this.router) {
      const flags = this.flags as {profile?: string}
      this.router = new MasterRouter(local, {
        masterPassword: () => this.masterPassword(),
        passwordHint: masterPasswordHint(flags.profile),
        onAttempt: (where) => this.masterWait?.attempt(where),
      })
    }
    const wait = connectionWait({json: this.json})
    this.masterWait = wait
    const session = await this.router.session().finally(() => wait.stop())
    if (session.master && this.currentSession?.master !== session.master && !this.quietRouting) {
      this.note(`Note: this database is a platform of ${session.master}; working on the master's data.`)
    }
    this.currentSession = session
    return session
  }

  /** The profile named by --profile / IPAM_PROFILE, if any. */
  public get profileName(): string | undefined {
    return (this.flags as {profile?: string}).profile
  }

  public override async finally(error: Error | undefined): Promise<void> {
    await this.router?.close()
    await this.database?.close()
    await super.finally(error)
  }
}
