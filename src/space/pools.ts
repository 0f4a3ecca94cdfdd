import type {Pool} from 'mysql2/promise'

import {audit} from '../admin/audit.js'
import {conflict, usage} from '../cli/errors.js'
import {type Tx, withTransaction} from '../db/tx.js'
import {formatAddress, formatRange, rangeSize} from '../net/ip.js'
import {checkText, checkWord} from '../text.js'
import {checkLocations, findPool, locationCondition, percent, type PoolRow, RANGE_SELECT, toRangeRow} from './model.js'

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

/** Pools with size and use, from one aggregate query. */
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
       COALESCE(SUM(r.end_addr - r.start_addr + 1), 0) AS size,
       COALESCE(SUM((SELECT COUNT(*) FROM ip WHERE ip.family = r.family AND ip.addr BETWEEN r.start_addr AND r.end_addr)), 0) AS used
     FROM ippool p LEFT JOIN ippool_range r ON r.pool_id = p.id ${where}
     GROUP BY p.id ORDER BY p.name`,
    params,
  )
  return rows.map((r) => {
    const size = BigInt(r.size)
    const used = BigInt(r.used)
    return {id: Number(r.id), name: r.name, note: r.note, locations: typeof r.locations === 'string' ? JSON.parse(r.locations) : r.locations, ranges: Number(r.ranges), size: size.toString(), used: Number(used), percent: percent(used, size), createdAt: r.created_at}
  })
}

export async function poolRanges(db: Pool | Tx, poolId: number) {
  const [rows] = await db.query<any[]>(
    `${RANGE_SELECT.replace('SELECT', 'SELECT (SELECT COUNT(*) FROM ip WHERE ip.family = r.family AND ip.addr BETWEEN r.start_addr AND r.end_addr) AS used,')} WHERE r.pool_id = ? ORDER BY r.family, r.start_addr`,
    [poolId],
  )
  return rows.map((r) => {
    const range = toRangeRow(r)
    return {id: range.id, range: formatRange(range), network: range.networkCidr, size: rangeSize(range).toString(), used: Number(r.used), percent: percent(BigInt(r.used), rangeSize(range))}
  })
}

export async function showPool(pool: Pool, ref: string) {
  const p = await findPool(pool, ref)
  const ranges = await poolRanges(pool, p.id)
  const [statusRows] = await pool.query<any[]>(
    `SELECT ip.status, COUNT(*) AS n FROM ippool_range r JOIN ip ON ip.family = r.family AND ip.addr BETWEEN r.start_addr AND r.end_addr WHERE r.pool_id = ? GROUP BY ip.status`,
    [p.id],
  )
  const byStatus: Record<string, number> = {ALLOCATED: 0, RESERVED: 0, USED: 0}
  for (const r of statusRows) byStatus[r.status] = Number(r.n)
  const size = ranges.reduce((a, r) => a + BigInt(r.size), 0n)
  const used = ranges.reduce((a, r) => a + r.used, 0)
  return {...poolView(p), size: size.toString(), used, percent: percent(BigInt(used), size), byStatus, ranges}
}

const POOL_ADDRESSES = 'FROM ip JOIN ippool_range r ON ip.family = r.family AND ip.addr BETWEEN r.start_addr AND r.end_addr WHERE r.pool_id = ?'

export async function planPoolRemoval(pool: Pool, ref: string) {
  const p = await findPool(pool, ref)
  const [[a], [r]] = await Promise.all([
    pool.query<any[]>(`SELECT COUNT(*) AS n ${POOL_ADDRESSES}`, [p.id]),
    pool.query<any[]>('SELECT COUNT(*) AS n FROM ippool_range WHERE pool_id = ?', [p.id]),
  ])
  return {pool: poolView(p), addresses: Number(a[0].n), ranges: Number(r[0].n)}
}

/** Removes a pool, its ranges and the addresses in them, in one transaction. */
export async function removePool(pool: Pool, id: number, confirmed: {addresses: number; ranges: number}) {
  return withTransaction(pool, async (tx) => {
    const p = await findPool(tx, String(id), {forUpdate: true})
    const [[a], [r]] = [await tx.query<any[]>(`SELECT COUNT(*) AS n ${POOL_ADDRESSES}`, [p.id]), await tx.query<any[]>('SELECT COUNT(*) AS n FROM ippool_range WHERE pool_id = ?', [p.id])]
    const plan = {addresses: Number(a[0].n), ranges: Number(r[0].n)}
    if (plan.addresses > confirmed.addresses || plan.ranges > confirmed.ranges) {
      throw conflict('changed', `pool ${p.name} changed while you were confirming; nothing was removed`, 'run the command again')
    }
    await tx.query(`DELETE ip ${POOL_ADDRESSES}`, [p.id])
    await tx.query('DELETE FROM ippool WHERE id = ?', [p.id])
    await audit(tx, {action: 'pools.remove', objectType: 'pool', objectId: p.id, detail: {name: p.name, ...plan}})
    return {removed: poolView(p), ...plan}
  })
}

export {formatAddress}
