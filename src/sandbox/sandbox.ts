import {createAndMigrate} from '../db/admin.js'
import {parseDbUrl} from '../db/url.js'
import {isAlive, readServerState, startServer, stopServer, type ServerState} from './server.js'

export const SANDBOX_DATABASE = 'ipam'

export interface SandboxInfo {
  running: boolean
  alreadyRunning?: boolean
  pid: number | null
  port: number | null
  url: string | null
  dir: string
  flavor: string | null
}

const urlOf = (s: ServerState) => `mysql://root@127.0.0.1:${s.port}/${SANDBOX_DATABASE}`

/** Starts (or finds running) the user's sandbox, with a migrated `ipam` database. */
export async function startSandbox(dir: string, opts: {port?: number} = {}): Promise<SandboxInfo> {
  const existing = await readServerState(dir)
  if (existing && isAlive(existing.pid)) {
    return {running: true, alreadyRunning: true, pid: existing.pid, port: existing.port, url: urlOf(existing), dir, flavor: existing.flavor}
  }
  if (existing) await stopServer(dir)
  const state = await startServer({dir, port: opts.port})
  await createAndMigrate(parseDbUrl(urlOf(state)))
  return {running: true, alreadyRunning: false, pid: state.pid, port: state.port, url: urlOf(state), dir, flavor: state.flavor}
}

export async function stopSandbox(dir: string): Promise<ServerState | undefined> {
  return stopServer(dir)
}

export async function sandboxStatus(dir: string): Promise<SandboxInfo> {
  const s = await readServerState(dir)
  if (!s || !isAlive(s.pid)) return {running: false, pid: null, port: null, url: null, dir, flavor: null}
  return {running: true, pid: s.pid, port: s.port, url: urlOf(s), dir, flavor: s.flavor}
}
