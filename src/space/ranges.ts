import type {Pool} from 'mysql2/promise'

import {audit} from '../admin/audit.js'
import {conflict, notFound, usage} from '../errors.js'
import {withTransaction} from '../db/tx.js'
import {formatRange, parseRange, rangeSize} from '../net/ip.js'
import {totalInSpans} from './counts.js'
import {usableIn} from './reserved.js'
import {findPool, percent, RANGE_SELECT, toRangeRow, type RangeRow} from './model.js'
import {isIdText, quote} from '../text.js'

export function rangeView(r: RangeRow, used?: number) {
  const size = rangeSize(r)
  return {id: r.id, pool: r.poolName, poolId: r.poolId, range: formatRange(r), network: r.networkCidr, networkId: r.networkId, family: r.family, size: size.toString(), ...(used === undefined ? {} : {used, percent: percent(BigInt(used), size)})}
}

/**
 * Adds a block to a pool: it must lie inside one network (the most specific
 * one holding both ends) and overlap no other range of any pool. The `ranges`
 * lock row serializes concurrent adds (a write, so a Galera cluster certifies
 * it too); the unique start key is the last guard.
 */
export async function addRange(pool: Pool, poolRef: string, text: string) {
  const r = parseRange(text)
  return withTransaction(pool, async (tx) => {
    await tx.query("UPDATE ipam_locks SET version = version + 1 WHERE name = 'ranges'")
    const p = await findPool(tx, poolRef, {forUpdate: true})
    const [nets] = await tx.query<any[]>(
      'SELECT id, cidr FROM ipnet WHERE family = ? AND network <= ? AND broadcast >= ? ORDER BY prefix DESC LIMIT 1',
      [r.family, r.start, r.end],
    )
    if (nets.length === 0) {
      throw notFound(`no network holds the whole range ${formatRange(r)}`, 'a range lies inside one network: add the network first (`ipam networks add`) or split the range')
    }
    const [overlaps] = await tx.query<any[]>(
      `${RANGE_SELECT} WHERE r.family = ? AND r.start_addr <= ? AND r.end_addr >= ? ORDER BY r.start_addr LIMIT 5`,
      [r.family, r.end, r.start],
    )
    if (overlaps.length > 0) {
      const o = toRangeRow(overlaps[0])
      throw conflict('overlap', `${formatRange(r)} overlaps range ${o.id} (${formatRange(o)}) of pool ${o.poolName}`, undefined, {overlaps: overlaps.map((x) => rangeView(toRangeRow(x)))})
    }
    const [res] = await tx.query<any>('INSERT INTO ippool_range (pool_id, ipnet_id, family, start_addr, end_addr) VALUES (?, ?, ?, ?, ?)', [p.id, nets[0].id, r.family, r.start, r.end])
    await audit(tx, {action: 'ranges.add', objectType: 'range', objectId: res.insertId, detail: {pool: p.name, range: formatRange(r), network: nets[0].cidr}})
    const [rows] = await tx.query<any[]>(`${RANGE_SELECT} WHERE r.id = ?`, [res.insertId])
    // what next-free may hand out: the range less the network, broadcast, anycast and gateway addresses in it
    const usable = await usableIn(tx, r.family, r.start, r.end)
    return {...rangeView(toRangeRow(rows[0]), 0), usable: usable.toString()}
  })
}

export async function listRanges(pool: Pool, filter: {pool?: string} = {}) {
  const params: unknown[] = []
  let where = ''
  if (filter.pool) {
    const p = await findPool(pool, filter.pool)
    where = 'WHERE r.pool_id = ?'
    params.push(p.id)
  }
  const [rows] = await pool.query<any[]>(`${RANGE_SELECT} ${where} ORDER BY p.name, r.family, r.start_addr`, params)
  const ranges = rows.map(toRangeRow)
  const counts = await totalInSpans(pool, ranges.map((r) => ({key: r.id, family: r.family, start: r.start, end: r.end})))
  return ranges.map((r) => rangeView(r, counts.get(r.id)!))
}

async function findRange(db: Pool | import('../db/tx.js').Tx, id: string, lock = false) {
  if (!isIdText(id)) throw usage(`${quote(id)} is not a range id`, 'list ranges with `ipam ranges list`')
  const [rows] = await db.query<any[]>(`${RANGE_SELECT} WHERE r.id = ?${lock ? ' FOR UPDATE' : ''}`, [id])
  if (rows.length === 0) throw notFound(`no range with id ${id}`, 'list ranges with `ipam ranges list`')
  return toRangeRow(rows[0])
}

const RANGE_ADDRESSES = 'FROM ip WHERE family = ? AND addr BETWEEN ? AND ?'

export async function planRangeRemoval(pool: Pool, id: string) {
  const r = await findRange(pool, id)
  const [rows] = await pool.query<any[]>(`SELECT COUNT(*) AS n ${RANGE_ADDRESSES}`, [r.family, r.start, r.end])
  return {range: rangeView(r), addresses: Number(rows[0].n)}
}

/** Removes a range and the addresses in it, in one transaction. */
export async function removeRange(pool: Pool, id: string, confirmed: {addresses: number}) {
  return withTransaction(pool, async (tx) => {
    const r = await findRange(tx, id, true)
    const span = [r.family, r.start, r.end]
    const [rows] = await tx.query<any[]>(`SELECT COUNT(*) AS n ${RANGE_ADDRESSES}`, span)
    const addresses = Number(rows[0].n)
    if (addresses > confirmed.addresses) throw conflict('changed', `range ${r.id} changed while you were confirming; nothing was removed`, 'run the command again')
    await tx.query(`DELETE ${RANGE_ADDRESSES}`, span)
    await tx.query('DELETE FROM ippool_range WHERE id = ?', [r.id])
    await audit(tx, {action: 'ranges.remove', objectType: 'range', objectId: r.id, detail: {pool: r.poolName, range: formatRange(r), addresses}, spans: [{family: r.family, lo: r.start, hi: r.end}]})
    return {removed: rangeView(r), addresses}
  })
}
