import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import mysql from 'mysql2/promise'

import {IpamError} from '../errors.js'
import {onInterrupt} from '../interrupt.js'
import {freePort, isAlive, startServer, stopServer} from './server.js'

/**
 * A MariaDB Galera cluster of N nodes on 127.0.0.1 (SPEC section 10), for
 * trying ipam against a cluster and for the cluster tests: each node has its
 * own data directory and ports, the first bootstraps the cluster and the
 * others join it by rsync state transfer. Started as root, the nodes run as
 * the `mysql` user, which the rsync transfer needs.
 */
export interface ClusterNode {
  name: string
  dir: string
  port: number
  galeraPort: number
  istPort: number
  sstPort: number
  pid: number
}

export interface ClusterState {
  size: number
  nodes: ClusterNode[]
  /** mysql://root@h1:p1,h2:p2,h3:p3/ — no database; root has no password. */
  rootUrl: string
  /** Where the nodes' folders are (outside `dir` when the nodes run as mysql and could not reach it). */
  nodesRoot: string
  startedAt: string
}

const PROVIDERS = ['/usr/lib/galera/libgalera_smm.so', '/usr/lib/galera-4/libgalera_smm.so', '/usr/lib64/galera-4/libgalera_smm.so', '/usr/lib64/galera/libgalera_smm.so', '/usr/lib/libgalera_smm.so']

export function galeraProvider(): string {
  const found = PROVIDERS.find((p) => existsSync(p))
  if (!found) {
    throw new IpamError('unavailable', 'no_galera', 'the Galera provider (libgalera_smm.so) is not installed', {hint: 'install it, e.g. `sudo apt-get install galera-4 rsync` (Debian/Ubuntu)'})
  }
  return found
}

function runAsUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined
  if (spawnSync('id', ['-u', 'mysql']).status !== 0) {
    throw new IpamError('unavailable', 'no_mysql_user', 'a cluster started as root runs its nodes as the `mysql` user, which does not exist', {hint: 'install mariadb-server (it creates the user), or start the cluster as an ordinary user'})
  }
  return 'mysql'
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const rootUrlOf = (nodes: {port: number}[]) => `mysql://root@${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}/`

function nodeArgs(node: Omit<ClusterNode, 'pid'>, all: Omit<ClusterNode, 'pid'>[], bootstrap: boolean): string[] {
  const peers = all.map((n) => `127.0.0.1:${n.galeraPort}`).join(',')
  return [
    '--wsrep-on=ON',
    `--wsrep-provider=${galeraProvider()}`,
    '--wsrep-cluster-name=ipam-sandbox',
    `--wsrep-node-name=${node.name}`,
    `--wsrep-cluster-address=gcomm://${bootstrap ? '' : peers}`,
    ...(bootstrap ? ['--wsrep-new-cluster'] : []),
    `--wsrep-node-address=127.0.0.1:${node.galeraPort}`,
    `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${node.galeraPort};ist.recv_addr=127.0.0.1:${node.istPort};gcache.size=64M`,
    `--wsrep-sst-receive-address=127.0.0.1:${node.sstPort}`,
    '--wsrep-sst-method=rsync',
    '--binlog-format=ROW',
    '--innodb-autoinc-lock-mode=2',
    '--default-storage-engine=InnoDB',
  ]
}

/** Waits until the node on `port` is Synced and sees `size` members. */
export async function waitSynced(port: number, size: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    try {
      const conn = await mysql.createConnection({host: '127.0.0.1', port, user: 'root'})
      try {
        const [rows] = await conn.query<any[]>("SHOW STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_ready')")
        const status = Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]))
        last = JSON.stringify(status)
        if (status.wsrep_local_state_comment === 'Synced' && status.wsrep_ready === 'ON' && Number(status.wsrep_cluster_size) >= size) return
      } finally {
        await conn.end().catch(() => undefined)
      }
    } catch (error) {
      last = (error as Error).message
    }
    if (Date.now() > deadline) throw new IpamError('unavailable', 'cluster_failed', `the cluster node on port ${port} did not reach Synced with ${size} members`, {hint: last})
    await sleep(200)
  }
}

async function writeState(dir: string, state: ClusterState): Promise<void> {
  await writeFile(join(dir, 'cluster.json'), `${JSON.stringify(state, null, 2)}\n`, {mode: 0o600})
}

export async function readClusterState(dir: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as ClusterState
  } catch {
    return undefined
  }
}

/** Starts a cluster of `size` nodes under `dir`; resolves when all are Synced. */
export async function startCluster(opts: {dir: string; size: number}): Promise<ClusterState> {
  if (!Number.isInteger(opts.size) || opts.size < 1 || opts.size > 9) throw new IpamError('usage', 'usage', 'a cluster has 1 to 9 nodes')
  galeraProvider()
  const runAs = runAsUser()
  await mkdir(opts.dir, {recursive: true})
  // Nodes running as mysql must reach their folders; a home folder (root's is 0700) is
  // often closed to them, so theirs go under the system's temporary folder instead.
  const nodesRoot = runAs ? await mkdtemp(join(tmpdir(), 'ipam-cluster-nodes-')) : opts.dir
  await chmod(nodesRoot, 0o755)
  const taken = new Set<number>()
  const port = async () => {
    for (;;) {
      const p = await freePort()
      if (!taken.has(p)) {
        taken.add(p)
        return p
      }
    }
  }
  const planned: Omit<ClusterNode, 'pid'>[] = []
  for (let i = 1; i <= opts.size; i++) planned.push({name: `node${i}`, dir: join(nodesRoot, `node${i}`), port: await port(), galeraPort: await port(), istPort: await port(), sstPort: await port()})
  const nodes: ClusterNode[] = []
  // Interrupted halfway: stop the nodes already up, which no state file would find.
  const off = onInterrupt(() => {
    for (const n of nodes) if (isAlive(n.pid)) process.kill(n.pid, 'SIGKILL')
  })
  try {
    for (const [i, node] of planned.entries()) {
      await mkdir(node.dir, {recursive: true})
      if (runAs) spawnSync('chown', ['-R', `${runAs}:`, nodesRoot])
      const s = await startServer({dir: node.dir, port: node.port, runAs, skipInit: i > 0, extraArgs: nodeArgs(node, planned, i === 0), startTimeoutMs: 180_000})
      nodes.push({...node, pid: s.pid})
      await waitSynced(node.port, i + 1)
    }
  } catch (error) {
    for (const n of planned.reverse()) await stopServer(n.dir, {keepData: true}).catch(() => undefined)
    if (nodesRoot !== opts.dir) await rm(nodesRoot, {recursive: true, force: true})
    throw error
  } finally {
    off()
  }
  const state: ClusterState = {size: opts.size, nodes, rootUrl: rootUrlOf(nodes), nodesRoot, startedAt: new Date().toISOString()}
  await writeState(opts.dir, state)
  return state
}

/** SIGKILLs one node, as a crash would. */
export async function killNode(dir: string, index: number): Promise<void> {
  const state = await readClusterState(dir)
  const node = state?.nodes[index]
  if (!node) throw new IpamError('not-found', 'not_found', `no node ${index + 1} in the cluster at ${dir}`)
  if (isAlive(node.pid)) process.kill(node.pid, 'SIGKILL')
  while (isAlive(node.pid)) await sleep(20)
}

/** Starts a stopped or killed node again; it rejoins the others and catches up. */
export async function restartNode(dir: string, index: number): Promise<ClusterState> {
  const state = await readClusterState(dir)
  if (!state) throw new IpamError('not-found', 'not_found', `no cluster at ${dir}`)
  const node = state.nodes[index]
  if (isAlive(node.pid)) return state
  const runAs = runAsUser()
  // A crashed node's grastate.dat says it may not be safe to bootstrap from; joining is fine.
  const s = await startServer({dir: node.dir, port: node.port, runAs, skipInit: true, extraArgs: nodeArgs(node, state.nodes, false), startTimeoutMs: 180_000})
  node.pid = s.pid
  await waitSynced(node.port, state.size)
  await writeState(dir, state)
  return state
}

/** Stops every node (last first) and removes the cluster's folder. */
export async function stopCluster(dir: string): Promise<ClusterState | undefined> {
  const state = await readClusterState(dir)
  for (const node of [...(state?.nodes ?? [])].reverse()) await stopServer(node.dir, {keepData: true}).catch(() => undefined)
  if (state?.nodesRoot) await rm(state.nodesRoot, {recursive: true, force: true})
  await rm(dir, {recursive: true, force: true})
  return state
}
