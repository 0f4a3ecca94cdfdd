import type {Pool} from 'mysql2/promise'

import {conflict, IpamError, usage} from '../errors.js'
import type {Database} from '../db/connect.js'
import {requireMigrated} from '../db/schema.js'
import type {Tx} from '../db/tx.js'
import {maskedUrl} from '../db/url.js'
import {type Family, formatRange} from '../net/ip.js'
import {instanceId, masterUrlOf, platformsOf, readIntegration} from './state.js'
import type {Queryable} from '../db/query.js'
import {plural} from '../text.js'

export interface Conflict {
  kind: 'same network' | 'nested network' | 'overlapping range' | 'same pool name'
  platform: string
  master: string
}

export interface TransferPlan {
  networks: number
  pools: number
  ranges: number
  pendingRequests: number
  addresses: number
}


interface NetRow {
  family: Family
  network: bigint
  broadcast: bigint
  prefix: number
  cidr: string
}

async function networks(db: Queryable): Promise<NetRow[]> {
  const [rows] = await db.query<any[]>('SELECT family, network, broadcast, prefix, cidr FROM ipnet ORDER BY family, network, prefix')
  return rows.map((r) => ({family: Number(r.family) as Family, network: BigInt(r.network), broadcast: BigInt(r.broadcast), prefix: Number(r.prefix), cidr: r.cidr}))
}

/** Conflicts between the platform's address space and the master's, naming both sides of each. */
export async function findConflicts(platform: Queryable, master: Queryable): Promise<Conflict[]> {
  const out: Conflict[] = []
  const masterNets = await networks(master)
  for (const p of await networks(platform)) {
    for (const m of masterNets) {
      if (m.family !== p.family || m.broadcast < p.network || m.network > p.broadcast) continue
      out.push({kind: m.network === p.network && m.prefix === p.prefix ? 'same network' : 'nested network', platform: p.cidr, master: m.cidr})
    }
  }
  const [masterRanges] = await master.query<any[]>('SELECT r.family, r.start_addr, r.end_addr, p.name FROM ippool_range r JOIN ippool p ON p.id = r.pool_id')
  const [platformRanges] = await platform.query<any[]>('SELECT r.family, r.start_addr, r.end_addr, p.name FROM ippool_range r JOIN ippool p ON p.id = r.pool_id')
  const asRange = (r: any) => ({family: Number(r.family) as Family, start: BigInt(r.start_addr), end: BigInt(r.end_addr)})
  for (const pr of platformRanges) {
    const p = asRange(pr)
    for (const mr of masterRanges) {
      const m = asRange(mr)
      if (m.family === p.family && m.start <= p.end && m.end >= p.start) out.push({kind: 'overlapping range', platform: `${formatRange(p)} (pool ${pr.name})`, master: `${formatRange(m)} (pool ${mr.name})`})
    }
  }
  const [masterPools] = await master.query<any[]>('SELECT name FROM ippool')
  const names = new Set(masterPools.map((r) => r.name))
  const [platformPools] = await platform.query<any[]>('SELECT name FROM ippool ORDER BY name')
  for (const p of platformPools) if (names.has(p.name)) out.push({kind: 'same pool name', platform: p.name, master: p.name})
  return out
}

export async function transferPlan(platform: Queryable): Promise<TransferPlan> {
  const n = async (sql: string) => Number((await platform.query<any[]>(sql))[0][0].n)
  return {
    networks: await n('SELECT COUNT(*) AS n FROM ipnet'),
    pools: await n('SELECT COUNT(*) AS n FROM ippool'),
    ranges: await n('SELECT COUNT(*) AS n FROM ippool_range'),
    pendingRequests: await n("SELECT COUNT(*) AS n FROM ip_request WHERE status = 'PENDING'"),
    addresses: await n('SELECT COUNT(*) AS n FROM ip'),
  }
}

export interface JoinPair {
  platformId: string
  masterId: string
  /** This platform is already joined to that master. */
  alreadyJoined: boolean
  /** A setup to that master was begun and not finished. */
  resuming: boolean
}

/**
 * The checks on the pairing itself, the same for `integration check` and
 * `integration setup`: the master is migrated, is not this same database,
 * is not a platform of another master; this database is not already joined
 * to another master, nor a master with platforms of its own.
 */
export async function refuseImpossibleJoin(platform: Database, master: Database): Promise<JoinPair> {
  await requireMigrated(master.pool).catch((error) => {
    if (error instanceof IpamError) throw new IpamError(error.kind, error.code, `on the master: ${error.message}`, {hint: error.hint})
    throw error
  })
  const platformId = await instanceId(platform.pool)
  const masterId = await instanceId(master.pool)
  if (platformId === masterId) throw usage('the master is this same database', 'name the master database with --master')
  const own = await readIntegration(platform.pool)
  if (own && own.masterInstanceId && own.masterInstanceId !== masterId) {
    throw conflict('other_master', `this database is already ${own.state === 'JOINED' ? 'a platform' : 'becoming a platform'} of another master (${maskedUrl(masterUrlOf(own).url)})`, '`ipam integration remove` it from that master first')
  }
  if (own?.state === 'JOINED') return {platformId, masterId, alreadyJoined: true, resuming: false}
  if (await readIntegration(master.pool)) throw conflict('master_is_platform', 'the master is itself a platform of another master', 'join the platform to that master instead')
  const ownPlatforms = await platformsOf(platform.pool)
  if (ownPlatforms.length > 0) {
    throw conflict('platform_is_master', `this database is a master with ${plural(ownPlatforms.length, 'platform')} joined (${ownPlatforms.map((p) => p.name).join(', ')}); joining it to another master would delete their address space`, 'remove its platforms first')
  }
  return {platformId, masterId, alreadyJoined: false, resuming: own?.state === 'SETUP'}
}
