import type {Pool} from 'mysql2/promise'

import {audit} from '../admin/audit.js'
import {conflict, usage} from '../errors.js'
import {withTransaction} from '../db/tx.js'
import {formatAddress, formatCidr, formatRange, parseAddress, parseCidr, unusableReason, usableCount} from '../net/ip.js'
import {checkText} from '../text.js'
import {countInSpans, type Span, totalInSpans} from './counts.js'
import {NetworkIndex} from './netindex.js'
import {deleteAddressesIn} from './removal.js'
import type {OnProgress} from '../progress.js'
import {reservedIn, usableCounts, usableIn} from './reserved.js'
import {lockPendingOfNetwork, rejectInTx} from '../requests/rejection.js'
import type {Tx} from '../db/tx.js'
import {addressHolder, heldAs, type Queryable} from '../db/query.js'
import {
  checkLocations, cidrOfRow, findNetwork, locationCondition, NETWORK_COLUMNS, networkView, percent, toNetworkRow, type NetworkRow,
} from './model.js'

export interface NetworkInput {
  cidr: string
  name?: string
  gateway?: string
  vlan?: number
  locations?: string[]
  note?: string
}

export async function addNetwork(pool: Pool, input: NetworkInput) {
  const c = parseCidr(input.cidr)
  const name = checkText('name', input.name, 255)
  const note = checkText('note', input.note, 4000, {multiline: true})
  const locations = checkLocations(input.locations)
  if (input.vlan !== undefined && (!Number.isInteger(input.vlan) || input.vlan < 1 || input.vlan > 4094)) throw usage(`VLAN ${input.vlan} is out of range (1-4094)`)
  let gateway: bigint | null = null
  if (input.gateway !== undefined) {
    const g = parseAddress(input.gateway, 'gateway')
    if (g.family !== c.family) throw usage(`the gateway ${input.gateway} is not an IPv${c.family} address`)
    const why = unusableReason(c, g.value)
    if (why) throw usage(`the gateway ${formatAddress(g.family, g.value)} cannot be used: ${why}`)
    gateway = g.value
    if (usableCount(c, gateway) === 0n) {
      throw usage(`${formatCidr(c)} with gateway ${formatAddress(g.family, g.value)} would have no usable address: its only address is the gateway`, 'give a larger network, or leave out --gateway')
    }
  }
  const cidr = formatCidr(c)
  return withTransaction(pool, async (tx) => {
    await tx.query("UPDATE ipam_locks SET version = version + 1 WHERE name = 'networks'") // serialises with a platform joining (integration setup)
    try {
      const [res] = await tx.query<any>('INSERT INTO ipnet (family, network, broadcast, prefix, cidr, name, gateway, vlan, note, locations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        c.family, c.network, c.broadcast, c.prefix, cidr, name ?? null, gateway ?? null, input.vlan ?? null, note ?? null, JSON.stringify(locations),
      ])
      const net = await findNetwork(tx, String(res.insertId))
      if (gateway !== null) {
        const taken = await addressHolder(tx, c.family, gateway)
        if (taken) throw conflict('address_taken', `the gateway ${formatAddress(c.family, gateway)} is already ${heldAs(taken)}`)
      }
      await refuseTakenEdges(tx, net)
      await audit(tx, {action: 'networks.add', objectType: 'network', objectId: net.id, detail: {cidr, name, gateway: net.gateway === null ? null : formatAddress(c.family, net.gateway), vlan: input.vlan ?? null, locations}})
      return networkView(net, await usableIn(tx, net.family, net.network, net.broadcast))
    } catch (error) {
      if ((error as {errno?: number}).errno === 1062) throw conflict('duplicate', `the network ${cidr} already exists`, 'see it with `ipam networks show ' + cidr + '`')
      throw error
    }
  })
}

/**
 * A network nested in another keeps its network, broadcast or anycast address
 * back: refused when one of them is already allocated, since next-free and the
 * usable counts would then disagree with what is in use.
 */
async function refuseTakenEdges(tx: Tx, net: NetworkRow): Promise<void> {
  for (const a of new Set([net.network, net.broadcast])) {
    // kept back by this network (not by a more specific one holding the same address)?
    if ((await reservedIn(tx, net.family, a, a)).get(a)?.network !== net.cidr || a === net.gateway) continue
    const taken = await addressHolder(tx, net.family, a)
    if (!taken) continue
    const role = a === net.broadcast ? 'broadcast address' : net.family === 4 ? 'network address' : 'subnet-router anycast address'
    const ip = formatAddress(net.family, a)
    throw conflict('address_taken', `${ip} is already ${heldAs(taken)}: it would be the ${role} of ${net.cidr}`, `release it first (\`ipam ips release ${ip}\`)`)
  }
}

export interface NetworkListFilter {
  location?: string
  family?: 4 | 6
  over?: number
}

/** Networks with utilization: one query for the networks, their counts from the per-cell summary (`totalInSpans`). */
export async function listNetworks(pool: Pool, filter: NetworkListFilter = {}) {
  const where: string[] = []
  const params: unknown[] = []
  if (filter.location) {
    where.push(locationCondition('n.locations'))
    params.push(filter.location)
  }
  if (filter.family) {
    where.push('n.family = ?')
    params.push(filter.family)
  }
  const [rows] = await pool.query<any[]>(
    `SELECT ${NETWORK_COLUMNS.split(', ').map((c) => `n.${c}`).join(', ')}
     FROM ipnet n ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY n.family, n.network, n.prefix`,
    params,
  )
  const nets = rows.map(toNetworkRow)
  const counts = await totalInSpans(pool, nets.map((n) => ({key: n.id, family: n.family, start: n.network, end: n.broadcast})))
  // nested networks keep their own network, broadcast and gateway addresses back from their parents' usable counts
  const index = where.length === 0 ? NetworkIndex.fromRows(nets) : await NetworkIndex.load(pool)
  const usableById = usableCounts(index, nets)
  const out = nets.map((net) => {
    const used = BigInt(counts.get(net.id)!)
    const usable = usableById.get(net.id)!
    return {...networkView(net, usable), used: Number(used), percent: percent(used, usable)}
  })
  return filter.over === undefined ? out : out.filter((n) => n.percent >= filter.over!)
}

/** A network with its parent, children, breakdown by status and by pool. */
export async function showNetwork(pool: Pool, ref: string) {
  const net = await findNetwork(pool, ref)
  const span = [net.family, net.network, net.broadcast]
  const [[parentRows], [childRows], statusCounts, [rangeRows]] = await Promise.all([
    pool.query<any[]>(`SELECT id, cidr FROM ipnet WHERE family = ? AND network <= ? AND broadcast >= ? AND prefix < ? ORDER BY prefix DESC LIMIT 1`, [net.family, net.network, net.broadcast, net.prefix]),
    pool.query<any[]>(
      `SELECT c.id, c.cidr, c.name FROM ipnet c WHERE c.family = ? AND c.network >= ? AND c.broadcast <= ? AND c.prefix > ?
        AND NOT EXISTS (SELECT 1 FROM ipnet m WHERE m.family = c.family AND m.prefix > ? AND m.prefix < c.prefix AND m.network <= c.network AND m.broadcast >= c.broadcast AND m.network >= ? AND m.broadcast <= ?)
       ORDER BY c.network`,
      [...span, net.prefix, net.prefix, net.network, net.broadcast],
    ),
    countInSpans(pool, [{key: net.id, family: net.family, start: net.network, end: net.broadcast}]),
    pool.query<any[]>(
      `SELECT r.id, p.name AS pool, r.start_addr, r.end_addr
       FROM ippool_range r JOIN ippool p ON p.id = r.pool_id WHERE r.ipnet_id = ? ORDER BY r.start_addr`,
      [net.id],
    ),
  ])
  const rangeCounts = await totalInSpans(pool, rangeRows.map((r) => ({key: Number(r.id), family: net.family, start: BigInt(r.start_addr), end: BigInt(r.end_addr)})))
  const {ALLOCATED, RESERVED, USED} = statusCounts.get(net.id)!
  const byStatus: Record<string, number> = {ALLOCATED, RESERVED, USED}
  const used = BigInt(ALLOCATED + RESERVED + USED)
  const usable = await usableIn(pool, net.family, net.network, net.broadcast)
  return {
    ...networkView(net, usable),
    used: Number(used),
    free: (usable - used > 0n ? usable - used : 0n).toString(),
    percent: percent(used, usable),
    byStatus,
    parent: parentRows[0] ? {id: Number(parentRows[0].id), cidr: parentRows[0].cidr} : null,
    children: childRows.map((c) => ({id: Number(c.id), cidr: c.cidr, name: c.name})),
    ranges: rangeRows.map((r) => {
      const start = BigInt(r.start_addr)
      const end = BigInt(r.end_addr)
      return {id: Number(r.id), pool: r.pool, range: formatRange({family: net.family, start, end}), size: (end - start + 1n).toString(), used: rangeCounts.get(Number(r.id))!}
    }),
  }
}

export interface RemovalPlan {
  addresses: number
  ranges: number
  /** PENDING requests for the network: rejected with it ("network removed"). */
  requests: number
}

/**
 * The parts of the network's span that no other network covers: none when a
 * parent holds it, else the span minus its top-level children. Addresses
 * there go with the network; the others stay with the network that holds them.
 */
async function orphanSpans(db: Queryable, net: NetworkRow): Promise<Span[]> {
  const [parents] = await db.query<any[]>('SELECT 1 FROM ipnet WHERE family = ? AND network <= ? AND broadcast >= ? AND id <> ? LIMIT 1', [net.family, net.network, net.broadcast, net.id])
  if (parents.length > 0) return []
  const [children] = await db.query<any[]>('SELECT network, broadcast FROM ipnet WHERE family = ? AND network >= ? AND broadcast <= ? AND id <> ? ORDER BY network, prefix', [net.family, net.network, net.broadcast, net.id])
  const spans: Span[] = []
  let cursor = net.network
  for (const c of children) {
    const start = BigInt(c.network)
    const end = BigInt(c.broadcast)
    if (end < cursor) continue
    if (start > cursor) spans.push({key: spans.length, family: net.family, start: cursor, end: start - 1n})
    cursor = end + 1n
  }
  if (cursor <= net.broadcast) spans.push({key: spans.length, family: net.family, start: cursor, end: net.broadcast})
  return spans
}

async function networkRemovalPlan(db: Queryable, net: NetworkRow): Promise<RemovalPlan & {spans: Span[]}> {
  const spans = await orphanSpans(db, net)
  const counts = await totalInSpans(db, spans)
  const [r] = await db.query<any[]>('SELECT COUNT(*) AS n FROM ippool_range WHERE ipnet_id = ?', [net.id])
  const [q] = await db.query<any[]>("SELECT COUNT(*) AS n FROM ip_request WHERE ipnet_id = ? AND status = 'PENDING'", [net.id])
  return {spans, addresses: [...counts.values()].reduce((a, n) => a + n, 0), ranges: Number(r[0].n), requests: Number(q[0].n)}
}

export async function planNetworkRemoval(pool: Pool, ref: string) {
  const net = await findNetwork(pool, ref)
  const {addresses, ranges, requests} = await networkRemovalPlan(pool, net)
  return {network: networkView(net), addresses, ranges, requests}
}

/**
 * Removes a network with its ranges and the addresses that no other network
 * holds, and rejects its PENDING requests ("network removed", each requester
 * told through the outbox), in one transaction. `confirmed` must cover what the plan showed: if
 * more would go now than was confirmed, nothing is removed.
 */
export async function removeNetwork(pool: Pool, id: number, confirmed: Omit<RemovalPlan, 'requests'> & {requests?: number}, opts: {onProgress?: OnProgress} = {}) {
  return withTransaction(pool, async (tx) => {
    const net = await findNetwork(tx, String(id), {forUpdate: true})
    const {spans, ...plan} = await networkRemovalPlan(tx, net)
    if (plan.addresses > confirmed.addresses || plan.ranges > confirmed.ranges || plan.requests > (confirmed.requests ?? 0)) {
      throw conflict('changed', `${net.cidr} changed while you were confirming (now ${plan.addresses} addresses, ${plan.ranges} ranges); nothing was removed`, 'run the command again')
    }
    const requests = await lockPendingOfNetwork(tx, net.id)
    const queued = await rejectInTx(tx, requests, 'network removed')
    await deleteAddressesIn(tx, spans, {total: plan.addresses, onProgress: opts.onProgress})
    await tx.query('DELETE FROM ipnet WHERE id = ?', [net.id])
    await audit(tx, {action: 'networks.remove', objectType: 'network', objectId: net.id, detail: {cidr: net.cidr, ...plan}, spans: spans.map((sp) => ({family: sp.family, lo: sp.start, hi: sp.end}))})
    return {removed: networkView(net), ...plan, queued}
  })
}
