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

interface Span {
  family: Family
  start: bigint
  end: bigint
}

const byStart = <T extends Span>(a: T, b: T) => a.family - b.family || (a.start < b.start ? -1 : a.start > b.start ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : 0)

/** A binary min-heap of spans by end: the active spans of one side of the sweep. */
class ByEnd<T extends Span> {
  readonly items: T[] = []
  push(x: T): void {
    const h = this.items
    h.push(x)
    for (let i = h.length - 1; i > 0; ) {
      const up = (i - 1) >> 1
      if (h[up].end <= h[i].end) break
      ;[h[up], h[i]] = [h[i], h[up]]
      i = up
    }
  }
  /** Drops every span that ends before `start`. */
  dropEndingBefore(start: bigint): void {
    const h = this.items
    while (h.length > 0 && h[0].end < start) {
      const last = h.pop()!
      if (h.length === 0) break
      h[0] = last
      for (let i = 0; ; ) {
        const l = 2 * i + 1
        const r = l + 1
        let min = i
        if (l < h.length && h[l].end < h[min].end) min = l
        if (r < h.length && h[r].end < h[min].end) min = r
        if (min === i) break
        ;[h[min], h[i]] = [h[i], h[min]]
        i = min
      }
    }
  }
}

/**
 * Every pair [i, j] such that `left[i]` and `right[j]` (inclusive spans) share
 * a family and at least one address, by sort and sweep instead of comparing
 * every span with every other: O((n + m) log(n + m) + pairs).
 * Pairs come back ordered by i, then j.
 */
export function overlappingPairs(left: readonly Span[], right: readonly Span[]): [number, number][] {
  type Item = Span & {side: 0 | 1; index: number}
  const items: Item[] = [...left.map((s, index) => ({...s, side: 0 as const, index})), ...right.map((s, index) => ({...s, side: 1 as const, index}))]
  items.sort(byStart)
  const pairs: [number, number][] = []
  // The spans already passed on each side, kept while they may still reach a later start.
  let active = [new ByEnd<Item>(), new ByEnd<Item>()] as const
  let family: Family | undefined
  for (const item of items) {
    if (item.family !== family) {
      family = item.family
      active = [new ByEnd<Item>(), new ByEnd<Item>()]
    }
    const other = active[item.side === 0 ? 1 : 0]
    // What ends before this span starts cannot reach it, nor any later span.
    other.dropEndingBefore(item.start)
    // Everything left on the other side started no later and ends at or after this start: it overlaps.
    for (const o of other.items) pairs.push(item.side === 0 ? [item.index, o.index] : [o.index, item.index])
    active[item.side].push(item)
  }
  return pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1])
}

interface RangeRow extends Span {
  pool: string
}

async function ranges(db: Queryable): Promise<RangeRow[]> {
  const [rows] = await db.query<any[]>('SELECT r.family, r.start_addr, r.end_addr, p.name FROM ippool_range r JOIN ippool p ON p.id = r.pool_id ORDER BY r.family, r.start_addr, r.end_addr, p.name')
  return rows.map((r) => ({family: Number(r.family) as Family, start: BigInt(r.start_addr), end: BigInt(r.end_addr), pool: r.name}))
}

/** Conflicts between the platform's address space and the master's, naming both sides of each. */
export async function findConflicts(platform: Queryable, master: Queryable): Promise<Conflict[]> {
  const out: Conflict[] = []
  const [platformNets, masterNets] = [await networks(platform), await networks(master)]
  const span = (n: NetRow): Span => ({family: n.family, start: n.network, end: n.broadcast})
  for (const [i, j] of overlappingPairs(platformNets.map(span), masterNets.map(span))) {
    const p = platformNets[i]
    const m = masterNets[j]
    out.push({kind: m.network === p.network && m.prefix === p.prefix ? 'same network' : 'nested network', platform: p.cidr, master: m.cidr})
  }
  const [platformRanges, masterRanges] = [await ranges(platform), await ranges(master)]
  for (const [i, j] of overlappingPairs(platformRanges, masterRanges)) {
    const p = platformRanges[i]
    const m = masterRanges[j]
    out.push({kind: 'overlapping range', platform: `${formatRange(p)} (pool ${p.pool})`, master: `${formatRange(m)} (pool ${m.pool})`})
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
