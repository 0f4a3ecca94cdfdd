import type {Pool} from 'mysql2/promise'

import {audit} from '../admin/audit.js'
import {conflict, usage} from '../errors.js'
import {type Tx, withTransaction} from '../db/tx.js'
import {formatAddress, formatRange, rangeSize} from '../net/ip.js'
import {checkText, checkWord} from '../text.js'
import type {Family} from '../net/ip.js'
import {countInSpans, totalInSpans} from './counts.js'
import {deleteAddressesIn} from './removal.js'
import type {OnProgress} from '../progress.js'
import {checkLocations, findPool, locationCondition, percent, type PoolRow, RANGE_SELECT, toRangeRow} from './model.js'
import type {Queryable} from '../db/query.js'

export function poolView(p: PoolRow) {
  return {id: p.id, name: p.name, note: p.note, locations: p.locations, createdAt: p.createdAt}
}

export async function addPool(pool: Pool, input: {name: string; note?: string; locations?: string[]}) {
  const name = checkWord('pool name', input.name, 190)!
  if (/^\d+$/.test(name)) throw usage(`a pool name cannot be a number ("${name}"): pools are found by id or name`)
  const note = checkText('note', input.note, 4000, {multiline: true})
  const locations = checkLocations(input.locations)
  return withTransaction(pool, async (tx) => {
    try {
      const [res] = await tx.query<any>('INSERT INTO ippool (name, note, locations) VALUES (?, ?, ?)', [name, note ?? null, JSON.stringify(locations)])
      await audit(tx, {action: 'pools.add', objectType: 'pool', objectId: res.insertId, detail: {name, locations}})
      return poolView(await findPool(tx, String(res.insertId)))
    } catch (error) {
      if ((error as {errno?: number}).errno === 1062) throw conflict('duplicate', `a pool named "${name}" already exists`)
      throw error
    }
  })
}

/** Pools with size and use: one aggregate query, the use from the per-cell summary (`totalInSpans`). */
export async function listPools(pool: Pool, filter: {location?: string} = {}) {
  const params: unknown[] = []
  let where = ''
  if (filter.location) {
    where = `WHERE ${locationCondition('p.locations')}`
    params.push(filter.location)
  }
  const [rows] = await pool.query<any[]>(
    `SELECT p.id, p.name, p.note, p.locations, p.created_at,
       COUNT(r.id) AS ranges,
       COALESCE(SUM(r.end_addr - r.start_addr + 1), 0) AS size
     FROM ippool p LEFT JOIN ippool_range r ON r.pool_id = p.id ${where}
     GROUP BY p.id ORDER BY p.name`,
    params,
  )
  const [ranges] = await pool.query<any[]>('SELECT id, pool_id, family, start_addr, end_addr FROM ippool_range')
  const counts = await totalInSpans(pool, ranges.map((r) => ({key: Number(r.id), family: Number(r.family) as Family, start: BigInt(r.start_addr), end: BigInt(r.end_addr)})))
  const usedByPool = new Map<number, bigint>()
  for (const r of ranges) usedByPool.set(Number(r.pool_id), (usedByPool.get(Number(r.pool_id)) ?? 0n) + BigInt(counts.get(Number(r.id))!))
  return rows.map((r) => {
    const size = BigInt(r.size)
    const used = usedByPool.get(Number(r.id)) ?? 0n
    return {id: Number(r.id), name: r.name, note: r.note, locations: typeof r.locations === 'string' ? JSON.parse(r.locations) : r.locations, ranges: Number(r.ranges), size: size.toString(), used: Number(used), percent: percent(used, size), createdAt: r.created_at}
  })
}

export async function poolRanges(db: Queryable, poolId: number) {
  const [rows] = await db.query<any[]>(`${RANGE_SELECT} WHERE r.pool_id = ? ORDER BY r.family, r.start_addr`, [poolId])
  const ranges = rows.map(toRangeRow)
  const counts = await countInSpans(db, ranges.map((r) => ({key: r.id, family: r.family, start: r.start, end: r.end})))
  return ranges.map((range) => {
    const c = counts.get(range.id)!
    return {id: range.id, range: formatRange(range), network: range.networkCidr, size: rangeSize(range).toString(), used: c.total, byStatus: {ALLOCATED: c.ALLOCATED, RESERVED: c.RESERVED, USED: c.USED}, percent: percent(BigInt(c.total), rangeSize(range))}
  })
}

export async function showPool(pool: Pool, ref: string) {
  const p = await findPool(pool, ref)
  const ranges = await poolRanges(pool, p.id)
  const byStatus: Record<string, number> = {ALLOCATED: 0, RESERVED: 0, USED: 0}
  for (const r of ranges) for (const s of Object.keys(byStatus)) byStatus[s] += r.byStatus[s as keyof typeof r.byStatus]
  const size = ranges.reduce((a, r) => a + BigInt(r.size), 0n)
  const used = ranges.reduce((a, r) => a + r.used, 0)
  return {...poolView(p), size: size.toString(), used, percent: percent(BigInt(used), size), byStatus, ranges: ranges.map(({byStatus: _b, ...r}) => r)}
}

async function poolPlan(db: Queryable, poolId: number) {
  const [ranges] = await db.query<any[]>('SELECT id, family, start_addr, end_addr FROM ippool_range WHERE pool_id = ?', [poolId])
  const spans = ranges.map((r) => ({key: Number(r.id), family: Number(r.family) as Family, start: BigInt(r.start_addr), end: BigInt(r.end_addr)}))
  const counts = await totalInSpans(db, spans)
  return {spans, addresses: [...counts.values()].reduce((a, n) => a + n, 0), ranges: spans.length}
}

export async function planPoolRemoval(pool: Pool, ref: string) {
  const p = await findPool(pool, ref)
  const {addresses, ranges} = await poolPlan(pool, p.id)
  return {pool: poolView(p), addresses, ranges}
}

/** Removes a pool, its ranges and the addresses in them, in one transaction. */
export async function removePool(pool: Pool, id: number, confirmed: {addresses: number; ranges: number}, opts: {onProgress?: OnProgress} = {}) {
  return withTransaction(pool, async (tx) => {
    const p = await findPool(tx, String(id), {forUpdate: true})
    const {spans, addresses, ranges} = await poolPlan(tx, p.id)
    const plan = {addresses, ranges}
    if (plan.addresses > confirmed.addresses || plan.ranges > confirmed.ranges) {
      throw conflict('changed', `pool ${p.name} changed while you were confirming; nothing was removed`, 'run the command again')
    }
    await deleteAddressesIn(tx, spans, {total: addresses, onProgress: opts.onProgress})
    await tx.query('DELETE FROM ippool WHERE id = ?', [p.id])
    await audit(tx, {action: 'pools.remove', objectType: 'pool', objectId: p.id, detail: {name: p.name, ...plan}, spans: spans.map((sp) => ({family: sp.family, lo: sp.start, hi: sp.end}))})
    return {removed: poolView(p), ...plan}
  })
}

export {formatAddress}
