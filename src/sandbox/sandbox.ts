import {createAndMigrate} from '../db/admin.js'
import {parseDbUrl} from '../db/url.js'
import {readClusterState, startCluster, stopCluster, type ClusterState} from './cluster.js'
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

/** Whether a URL has the shape `ipam sandbox start` prints (so that a refused connection can be explained). */
export function isSandboxUrl(url: {user: string; password?: string; hosts: {host: string}[]; database?: string}): boolean {
  return url.user === 'root' && url.password === undefined && url.database === SANDBOX_DATABASE && url.hosts.length > 0 && url.hosts.every((h) => h.host === '127.0.0.1')
}

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

export interface ClusterSandboxInfo {
  running: boolean
  alreadyRunning?: boolean
  url: string | null
  dir: string
  nodes: {name: string; port: number; pid: number; running: boolean}[]
}

const clusterInfo = (dir: string, s: ClusterState, alreadyRunning?: boolean): ClusterSandboxInfo => {
  const nodes = s.nodes.map((n) => ({name: n.name, port: n.port, pid: n.pid, running: isAlive(n.pid)}))
  return {running: nodes.some((n) => n.running), alreadyRunning, url: `${s.rootUrl}${SANDBOX_DATABASE}`, dir, nodes}
}

/** Starts (or finds running) a Galera cluster sandbox of `size` nodes, with a migrated `ipam` database. */
export async function startClusterSandbox(dir: string, size: number): Promise<ClusterSandboxInfo> {
  const existing = await readClusterState(dir)
  if (existing && existing.nodes.every((n) => isAlive(n.pid))) return clusterInfo(dir, existing, true)
  if (existing) await stopCluster(dir)
  const state = await startCluster({dir, size})
  await createAndMigrate(parseDbUrl(`${state.rootUrl}${SANDBOX_DATABASE}`))
  return clusterInfo(dir, state, false)
}

export async function stopClusterSandbox(dir: string): Promise<ClusterState | undefined> {
  return stopCluster(dir)
}

export async function clusterSandboxStatus(dir: string): Promise<ClusterSandboxInfo> {
  const s = await readClusterState(dir)
  if (!s) return {running: false, url: null, dir, nodes: []}
  return clusterInfo(dir, s)
}
