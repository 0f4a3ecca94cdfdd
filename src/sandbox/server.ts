import {spawn, spawnSync} from 'node:child_process'
import {existsSync, openSync, closeSync} from 'node:fs'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {delimiter, join} from 'node:path'
import mysql from 'mysql2/promise'

import {IpamError} from '../errors.js'
import {onInterrupt} from '../interrupt.js'

export interface ServerBinaries {
  flavor: 'mariadb' | 'mysql'
  server: string
  installDb?: string
}

const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/libexec', '/usr/local/mysql/bin', '/opt/homebrew/bin', '/usr/local/bin']

function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRS]
  for (const dir of dirs) {
    if (!dir) continue
    const candidate = join(dir, name)
    if (existsSync(candidate)) return candidate
  }
  return undefined
}

/** Finds a MariaDB (preferred) or MySQL server on this machine. */
export function findServerBinaries(): ServerBinaries {
  const mariadbd = which('mariadbd')
  const installDb = which('mariadb-install-db') ?? which('mysql_install_db')
  if (mariadbd && installDb) return {flavor: 'mariadb', server: mariadbd, installDb}
  const mysqld = which('mysqld')
  if (mysqld) {
    const version = spawnSync(mysqld, ['--version'], {encoding: 'utf8'}).stdout ?? ''
    if (/mariadb/i.test(version) && installDb) return {flavor: 'mariadb', server: mysqld, installDb}
    return {flavor: 'mysql', server: mysqld}
  }
  throw new IpamError('unavailable', 'no_server_binary', 'no MariaDB or MySQL server is installed on this machine (looked for mariadbd and mysqld)', {
    hint: 'install one, e.g. `sudo apt-get install mariadb-server` (Debian/Ubuntu), `sudo dnf install mariadb-server`, or `brew install mariadb`',
  })
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address ? address.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export interface ServerState {
  pid: number
  port: number
  host: string
  socket: string
  dataDir: string
  flavor: string
  startedAt: string
  /** URL without a database name; root has no password on a sandbox. */
  rootUrl: string
}

export interface StartOptions {
  /** Folder that holds the server's data, socket, log and state file. */
  dir: string
  port?: number
  /** Extra mariadbd arguments (tests: Galera options). */
  extraArgs?: string[]
  /** Run as this OS user (for Galera's rsync transfer); default: as ourselves. */
  runAs?: string
  /** Leave the data directory empty (a Galera joiner receives it by state transfer). */
  skipInit?: boolean
  /** How long to wait for the server to accept connections (default 60 s). */
  startTimeoutMs?: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function runOrThrow(cmd: string, args: string[], what: string): void {
  const res = spawnSync(cmd, args, {encoding: 'utf8'})
  if (res.status !== 0) {
    throw new IpamError('unavailable', 'sandbox_failed', `${what} failed (${cmd} exited ${res.status ?? res.signal})`, {
      hint: (res.stderr || res.stdout || '').trim().split('\n').slice(-5).join('\n'),
    })
  }
}

/** Initialises a data directory and starts a server on 127.0.0.1; resolves once it accepts connections. */
export async function startServer(opts: StartOptions): Promise<ServerState> {
  const bins = findServerBinaries()
  const dataDir = join(opts.dir, 'data')
  const socket = join(opts.dir, 'mysqld.sock')
  const logFile = join(opts.dir, 'server.log')
  await mkdir(opts.dir, {recursive: true})
  const asRoot = process.getuid?.() === 0
  const user = opts.runAs ?? (asRoot ? 'root' : undefined)
  const chownToUser = () => {
    if (opts.runAs && asRoot) spawnSync('chown', ['-R', `${opts.runAs}:`, opts.dir])
  }
  if (opts.skipInit) await mkdir(dataDir, {recursive: true})
  else if (!existsSync(join(dataDir, 'mysql'))) {
    await mkdir(dataDir, {recursive: true})
    chownToUser()
    if (bins.flavor === 'mariadb') {
      const installDb = () => runOrThrow(bins.installDb!, ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', ...(user ? [`--user=${user}`] : [])], 'initialising the sandbox data directory')
      try {
        installDb()
      } catch {
        // mariadb-install-db's bootstrap has been seen to fail once on a machine under heavy load
        // ("Unknown table mysql.tmp_…"); a second run on an empty folder goes through.
        await rm(dataDir, {recursive: true, force: true})
        await mkdir(dataDir, {recursive: true})
        chownToUser()
        installDb()
      }
    } else {
      runOrThrow(bins.server, ['--no-defaults', '--initialize-insecure', `--datadir=${dataDir}`, ...(user ? [`--user=${user}`] : [])], 'initialising the sandbox data directory')
    }
  }
  const port = opts.port ?? (await freePort())
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${join(opts.dir, 'mysqld.pid')}`,
    `--log-error=${logFile}`,
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=256M',
    '--innodb-flush-log-at-trx-commit=2',
    '--max-connections=500',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    ...(bins.flavor === 'mysql' ? ['--mysqlx=OFF', '--skip-log-bin'] : []),
    ...(user ? [`--user=${user}`] : []),
    ...(opts.extraArgs ?? []),
  ]
  const out = openSync(logFile, 'a')
  chownToUser()
  const child = spawn(bins.server, args, {detached: true, stdio: ['ignore', out, out]})
  closeSync(out)
  child.unref()
  const pid = child.pid!
  // Interrupted before it is ready (and before its state file exists): do not leave it running.
  const off = onInterrupt(() => process.kill(pid, 'SIGKILL'))
  const rootUrl = `mysql://root@127.0.0.1:${port}/`
  const state: ServerState = {pid, port, host: '127.0.0.1', socket, dataDir, flavor: bins.flavor, startedAt: new Date().toISOString(), rootUrl}
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000)
  let exited = false
  child.once('exit', () => {
    exited = true
  })
  for (;;) {
    try {
      const conn = await mysql.createConnection({host: '127.0.0.1', port, user: 'root'})
      await conn.end()
      break
    } catch (error) {
      if (exited || Date.now() > deadline) {
        const log = await readFile(logFile, 'utf8').catch(() => '')
        throw new IpamError('unavailable', 'sandbox_failed', `the sandbox server did not start (${exited ? 'it exited' : 'timed out'})`, {
          hint: log.trim().split('\n').slice(-8).join('\n'),
          cause: error,
        })
      }
      await sleep(150)
    }
  }
  await writeFile(join(opts.dir, 'sandbox.json'), `${JSON.stringify(state, null, 2)}\n`, {mode: 0o600})
  off()
  return state
}

export async function readServerState(dir: string): Promise<ServerState | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'sandbox.json'), 'utf8')) as ServerState
  } catch {
    return undefined
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Stops the server by its own pid (SIGTERM, then SIGKILL) and removes its folder. */
export async function stopServer(dir: string, opts: {keepData?: boolean} = {}): Promise<ServerState | undefined> {
  const state = await readServerState(dir)
  if (state && isAlive(state.pid)) {
    process.kill(state.pid, 'SIGTERM')
    const deadline = Date.now() + 30_000
    while (isAlive(state.pid) && Date.now() < deadline) await sleep(100)
    if (isAlive(state.pid)) process.kill(state.pid, 'SIGKILL')
    while (isAlive(state.pid)) await sleep(50)
  }
  if (!opts.keepData) await rm(dir, {recursive: true, force: true})
  return state
}
