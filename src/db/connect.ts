import {readFileSync} from 'node:fs'
import type {Pool, PoolConnection, PoolOptions} from 'mysql2/promise'

import {databaseError, IpamError, usage} from '../errors.js'
import {DEFAULT_PROFILE, profilePath, readProfiles} from './profiles.js'
import {type DbUrl, maskedUrl, parseDbUrl} from './url.js'

export interface ConnectionSource {
  /** `--db` (its env twin IPAM_DATABASE_URL is read by the caller's flag parser or here). */
  db?: string
  profile?: string
  configDir: string
  env?: NodeJS.ProcessEnv
}

export interface ResolvedConnection {
  url: DbUrl
  /** Where the URL came from, for `--verbose`. */
  source: string
}

/** SPEC section 2: --db, else IPAM_DATABASE_URL, else the chosen or default profile. */
export async function resolveConnection(src: ConnectionSource): Promise<ResolvedConnection> {
  const env = src.env ?? process.env
  let text: string | undefined
  let source: string
  if (src.db) {
    text = src.db
    // oclif fills the flag from the environment too: name the real source.
    source = src.db === env.IPAM_DATABASE_URL ? 'IPAM_DATABASE_URL' : '--db'
  } else if (env.IPAM_DATABASE_URL) {
    text = env.IPAM_DATABASE_URL
    source = 'IPAM_DATABASE_URL'
  } else {
    const name = src.profile || env.IPAM_PROFILE || DEFAULT_PROFILE
    const file = profilePath(src.configDir)
    const profiles = await readProfiles(file)
    const profile = profiles.profiles[name]
    if (!profile && name !== DEFAULT_PROFILE) throw usage(`no profile named "${name}" in ${file}`, `create it with: ipam config set db mysql://user@host/db --profile ${name}`)
    text = profile?.db
    source = `profile "${name}"`
    if (!text) {
      throw new IpamError('usage', 'no_database', 'no database configured', {
        hint: 'pass --db mysql://user@host:3306/ipam, set IPAM_DATABASE_URL, or run `ipam config set db <url>` (try `ipam sandbox start` for a throwaway one)',
      })
    }
  }
  const url = parseDbUrl(text)
  if (url.password === undefined && env.IPAM_DATABASE_PASSWORD) url.password = env.IPAM_DATABASE_PASSWORD
  return {url, source}
}

/**
 * The master's password for a platform's routed commands: IPAM_MASTER_PASSWORD,
 * else the `master-password` of the chosen (or default) profile. It is never
 * kept in the database; `source` says where it came from, for messages.
 */
export async function resolveMasterPassword(src: {profile?: string; configDir: string; env?: NodeJS.ProcessEnv}): Promise<{password?: string; source: string}> {
  const env = src.env ?? process.env
  if (env.IPAM_MASTER_PASSWORD) return {password: env.IPAM_MASTER_PASSWORD, source: 'IPAM_MASTER_PASSWORD'}
  const name = src.profile || env.IPAM_PROFILE || DEFAULT_PROFILE
  const profile = (await readProfiles(profilePath(src.configDir))).profiles[name]
  return {password: profile?.['master-password'], source: `profile "${name}"`}
}

/** How to give the master's password, for the message of a command that lacks it. */
export function masterPasswordHint(profile: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = profile || env.IPAM_PROFILE || DEFAULT_PROFILE
  return `give it once with \`ipam config set master-password${name === DEFAULT_PROFILE ? '' : ` --profile ${name}`}\` (it asks for it, or reads it from stdin), or set IPAM_MASTER_PASSWORD`
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOENT', 'ECONNRESET', 'EAI_AGAIN', 'PROTOCOL_CONNECTION_LOST', 'EPIPE', 'ENETUNREACH'])

export function isConnectionError(error: unknown): boolean {
  const e = error as {code?: string; fatal?: boolean}
  return Boolean(e && (CONNECT_ERRORS.has(e.code ?? '') || e.code === 'PROTOCOL_CONNECTION_LOST' || e.code === 'ER_SERVER_SHUTDOWN' || e.code === 'ER_CON_COUNT_ERROR'))
}

/** Maps driver errors that are the user's environment, not a bug, to exit 5 with the URL masked. */
export function mapDriverError(error: unknown, url?: DbUrl): unknown {
  if (error instanceof IpamError) return error
  const e = error as {code?: string; errno?: number; message?: string; sqlMessage?: string}
  if (!e || typeof e !== 'object') return error
  const where = url ? maskedUrl(url) : 'the database'
  if (e.code === 'PROTOCOL_CONNECTION_LOST' || e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.code === 'ER_SERVER_SHUTDOWN') {
    return databaseError(
      'connection_lost',
      `lost the connection to the database at ${where} (${e.code}) before the command finished`,
      'the server rolls back what was not committed, so nothing was half-written; run the command again once the server is back',
      error,
    )
  }
  if (isConnectionError(error)) {
    return databaseError('unreachable', `cannot reach the database at ${where}: ${e.code}`, 'check that the server is running and the host, port or socket is right', error)
  }
  switch (e.code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
    case 'ER_TABLEACCESS_DENIED_ERROR': {
      return databaseError('access_denied', `access denied to ${where}`, 'check the user and password (IPAM_DATABASE_PASSWORD, the profile, or the prompt)', error)
    }
    case 'ER_BAD_DB_ERROR': {
      return databaseError('no_such_database', `the database ${url?.database ?? ''} does not exist on ${where}`, 'create it with `ipam db migrate`', error)
    }
    case 'ER_NO_DB_ERROR': {
      return url ? noDatabaseName(url) : usage('the database URL names no database', 'add /DBNAME to the URL, e.g. mysql://user@host:3306/ipam')
    }
    case 'ER_UNKNOWN_COM_ERROR': {
      // a Galera node outside the Primary component ("WSREP has not yet prepared node for application use")
      return databaseError('node_not_ready', `the database node at ${where} is not ready (it is outside the cluster's primary component)`, 'nothing was changed; run the command again, or list another node first in the URL', error)
    }
    case 'ER_NO_SUCH_TABLE': {
      return databaseError('not_migrated', 'the database schema is not migrated', 'run `ipam db migrate`', error)
    }
    default:
      return error
  }
}

/** `mysql://root@127.0.0.1:3306` names a server, not a database: a usage error with the fix. */
function noDatabaseName(url: DbUrl): IpamError {
  return usage(`the database URL ${maskedUrl(url)} names no database: add /DBNAME to it`, `e.g. ${maskedUrl({...url, database: 'ipam'})}`)
}

export interface Database {
  pool: Pool
  url: DbUrl
  /** The node (host:port or socket) that answered. */
  node: string
  close(): Promise<void>
}

function poolOptions(url: DbUrl, host?: {host: string; port: number}, withDatabase = true): PoolOptions {
  const options: PoolOptions = {
    user: url.user,
    password: url.password,
    database: withDatabase ? url.database : undefined,
    connectionLimit: 4,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    multipleStatements: false,
    connectTimeout: url.connectTimeoutMs ?? 10_000,
  }
  if (url.socket) options.socketPath = url.socket
  else if (host) {
    options.host = host.host
    options.port = host.port
  }
  if (url.ssl === true) options.ssl = {rejectUnauthorized: true}
  else if (typeof url.ssl === 'string') {
    try {
      options.ssl = {ca: readFileSync(url.ssl, 'utf8'), rejectUnauthorized: true}
    } catch {
      throw usage(`cannot read the CA file ${url.ssl} named by ?ssl=`)
    }
  }
  return options
}

/** On a Galera node: its name, state and the cluster's size; undefined elsewhere (MySQL, plain MariaDB). */
async function galeraStatus(conn: PoolConnection): Promise<{name: string; ready: boolean; state: string; size: number} | undefined> {
  const [vars] = await conn.query<any[]>("SHOW VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_node_name')")
  const v = Object.fromEntries(vars.map((r) => [r.Variable_name, r.Value]))
  if (v.wsrep_on !== 'ON') return undefined
  const [status] = await conn.query<any[]>("SHOW STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment', 'wsrep_cluster_size')")
  const st = Object.fromEntries(status.map((r) => [r.Variable_name, r.Value]))
  return {name: v.wsrep_node_name ?? '?', ready: st.wsrep_ready === 'ON', state: st.wsrep_local_state_comment ?? '?', size: Number(st.wsrep_cluster_size ?? 0)}
}

/**
 * Opens one pool for the process. With several hosts in the URL they are tried
 * in order; the first that accepts a connection serves the whole command.
 */
export async function openDatabase(url: DbUrl, opts: {
  withDatabase?: boolean
  sessionSetup?: (c: PoolConnection) => Promise<void>
  /** Called as each host (or the socket) is tried: the CLI says what a slow connection waits for. */
  onAttempt?: (where: string) => void
} = {}): Promise<Database> {
  if ((opts.withDatabase ?? true) && !url.database) throw noDatabaseName(url)
  const targets = url.socket ? [undefined] : url.hosts
  let lastError: unknown
  // Loaded here, not at the top: commands that never connect (config, --help) start without the driver.
  const {default: mysql} = await import('mysql2/promise')
  for (const host of targets) {
    const pool = mysql.createPool(poolOptions(url, host, opts.withDatabase ?? true))
    let galera = false
    // Session settings every connection needs: UTC and strict SQL; on a Galera node also
    // causal reads, so that what was committed through another node is seen here.
    pool.on('connection', (conn) => {
      conn.query(`SET time_zone = '+00:00', sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')${galera ? ', wsrep_sync_wait = 1' : ''}`)
    })
    let where = url.socket ?? `${host!.host}:${host!.port}`
    opts.onAttempt?.(where)
    try {
      const conn = await pool.getConnection()
      try {
        const cluster = await galeraStatus(conn)
        if (cluster) {
          // A node that is not part of the primary component (or still joining) refuses queries: try the next host.
          if (!cluster.ready) throw Object.assign(new Error(`the Galera node at ${where} is not ready (${cluster.state})`), {code: 'ECONNREFUSED'})
          galera = true
          await conn.query('SET SESSION wsrep_sync_wait = 1')
          where = `${where} (Galera node ${cluster.name}, ${cluster.size} in the cluster)`
        }
      } finally {
        conn.release()
      }
      return {pool, url, node: where, close: () => pool.end().catch(() => undefined)}
    } catch (error) {
      lastError = error
      await pool.end().catch(() => undefined)
      // A cluster node that is cut off (or behind) may lack the database or refuse
      // queries: the next host may serve. When none does, the last error is reported.
      const errno = (error as {errno?: number}).errno
      if (!isConnectionError(error) && errno !== 1049 && errno !== 1047) break
    }
  }
  throw mapDriverError(lastError, url)
}
