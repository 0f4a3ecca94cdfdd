import type {Pool} from 'mysql2/promise'

import {addressRuns, audit, osUser, RunBuilder} from '../admin/audit.js'
import {checkHostname, checkMac} from '../net/hostmac.js'
import {lockPendingForAddress, rejectInTx} from '../requests/rejection.js'
import {conflict, notFound, usage} from '../errors.js'
import {retryAgain, type Tx, withTransaction} from '../db/tx.js'
import {type Address, type Family, formatAddr, formatAddress, parseAddress, unusableReason} from '../net/ip.js'
import {checkText, quote} from '../text.js'
import {NetworkIndex} from './netindex.js'
import {cidrOfRow, findNetwork, findPool, networkContaining, type PoolRow} from './model.js'
import {findFree, type FreeAddress, lockPool, type Segment} from './nextfree.js'
import {reservedIn} from './reserved.js'
import {addressHolder, heldAs, streamRows} from '../db/query.js'
import {insertAddressRows} from './summaries.js'

export const STATUSES = ['ALLOCATED', 'RESERVED', 'USED'] as const
export type AddressStatus = (typeof STATUSES)[number]

export interface AddressFields {
  status?: string
  assignedTo?: string
  assignType?: string
  description?: string
  hostname?: string
  mac?: string
}

export interface CheckedFields {
  status: AddressStatus
  assignedTo: string | null
  assignType: string | null
  description: string | null
  hostname: string | null
  mac: string | null
}

export function checkStatus(value: string | undefined, fallback: AddressStatus = 'ALLOCATED'): AddressStatus {
  if (value === undefined || value === '') return fallback
  const upper = value.toUpperCase()
  if (!(STATUSES as readonly string[]).includes(upper)) throw usage(`invalid status ${quote(value)}`, `one of ${STATUSES.join(', ')}`)
  return upper as AddressStatus
}

export function checkAssignType(value: string | undefined): string | null {
  if (value === undefined || value === '') return null
  const upper = value.toUpperCase()
  if (!/^[A-Z][A-Z0-9_-]{0,31}$/.test(upper)) throw usage(`invalid assign type ${quote(value)}`, 'a word such as USER, VM or SERVER (letters, digits, - and _, at most 32)')
  return upper
}

export function checkFields(f: AddressFields): CheckedFields {
  return {
    status: checkStatus(f.status),
    assignedTo: checkText('assigned-to', f.assignedTo, 255) || null,
    assignType: checkAssignType(f.assignType),
    description: checkText('description', f.description, 2000, {multiline: true}) || null,
    hostname: f.hostname === undefined || f.hostname === '' ? null : checkHostname(f.hostname),
    mac: f.mac === undefined || f.mac === '' ? null : checkMac(f.mac),
  }
}

export interface AddressView {
  address: string
  family: Family
  status: AddressStatus | 'FREE'
  assignedTo: string | null
  assignType: string | null
  description: string | null
  hostname: string | null
  mac: string | null
  network: string | null
  createdAt: string | null
  updatedAt: string | null
}

/**
 * Multi-row insert; 1062 means another process took an address first (the
 * caller retries or reports). `at`, the server's time, sets created_at and
 * updated_at, so that the caller knows them without reading the rows back.
 */
async function insertAddresses(tx: Tx, family: Family, addrs: bigint[], f: CheckedFields, at?: string): Promise<void> {
  const columns = `family, addr, status, assigned_to, assign_type, description, hostname, mac${at === undefined ? '' : ', created_at, updated_at'}`
  for (let i = 0; i < addrs.length; i += 1000) {
    const rows = addrs.slice(i, i + 1000).map((a) => [family, a, f.status, f.assignedTo, f.assignType, f.description, f.hostname, f.mac, ...(at === undefined ? [] : [at, at])])
    await insertAddressRows(tx, columns, rows)
  }
}

/** How many addresses of the segments can still be handed out (for the "exhausted" message only). */
async function countFree(tx: Tx, segments: Segment[]): Promise<bigint> {
  let free = 0n
  for (const s of segments) {
    const span = [s.family, s.start, s.end]
    const [u] = await tx.query<any[]>('SELECT COUNT(*) AS n FROM ip WHERE family = ? AND addr BETWEEN ? AND ?', span)
    const [p] = await tx.query<any[]>(
      "SELECT DISTINCT q.addr FROM ip_request q WHERE q.status = 'PENDING' AND q.family = ? AND q.addr BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 FROM ip WHERE ip.family = q.family AND ip.addr = q.addr)",
      span,
    )
    const pending = new Set<bigint>(p.map((r) => BigInt(r.addr)))
    // reserved addresses neither used (counted above) nor pending (counted here)
    const reserved = [...(await reservedIn(tx, s.family, s.start, s.end)).keys()].filter((a) => !pending.has(a))
    let reservedFree = BigInt(reserved.length)
    for (let i = 0; i < reserved.length; i += 1000) {
      const [taken] = await tx.query<any[]>('SELECT COUNT(*) AS n FROM ip WHERE family = ? AND addr IN (?)', [s.family, reserved.slice(i, i + 1000)])
      reservedFree -= BigInt(taken[0].n)
    }
    free += s.end - s.start + 1n - BigInt(u[0].n) - BigInt(pending.size) - reservedFree
  }
  return free > 0n ? free : 0n
}

export interface AllocateInput extends AddressFields {
  address?: string
  pool?: string
  count?: number
  /** A given address with a PENDING request: allocate it anyway, rejecting the request. */
  force?: boolean
}

export interface AllocateResult {
  pool: string | null
  addresses: AddressView[]
  /** Requests rejected because `force` took their address. */
  rejectedRequests: number[]
  /** Outbox messages the rejections queued, to send after the commit. */
  queued: number[]
}

/**
 * Allocates a given address, or the next free `count` addresses of a pool
 * (all or nothing). Next-free takes the pool's row lock, so allocations in one
 * pool queue behind each other while other pools go on.
 */
export async function allocate(pool: Pool, input: AllocateInput): Promise<AllocateResult> {
  const f = checkFields(input)
  const count = input.count ?? 1
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000) throw usage(`--count must be 1 to 1000000 (got ${input.count})`)
  if (input.address !== undefined) {
    if (count !== 1) throw usage('--count goes with --pool, not with a given address')
    return allocateGiven(pool, input.address, input.pool, f, input.force ?? false)
  }
  if (input.force) throw usage('--force goes with a given address (next-free never takes an address with a PENDING request)')
  if (!input.pool) throw usage('give an address to allocate, or --pool to take the next free one', 'e.g. `ipam ips allocate 192.0.2.10` or `ipam ips allocate --pool office`')
  return withTransaction(pool, async (tx) => {
    // the pool's row lock, its ranges and the server's time: one statement
    const p = await lockPool(tx, input.pool!)
    const segments = p.segments
    if (segments.length === 0) throw conflict('exhausted', `pool ${p.name} has no address blocks`, `add one with \`ipam ranges add ${p.name} <range>\``)
    const byFamily = new Map<Family, Segment[]>()
    for (const s of segments) byFamily.set(s.family, [...(byFamily.get(s.family) ?? []), s])
    // A pool holding both families hands out IPv4 first, then IPv6.
    let remaining = count
    const chosen: {family: Family; found: FreeAddress[]}[] = []
    for (const [family, segs] of [...byFamily.entries()].sort((a, b) => a[0] - b[0])) {
      if (remaining === 0) break
      const found = await findFree(tx, segs, remaining)
      if (found.length > 0) chosen.push({family, found})
      remaining -= found.length
    }
    if (remaining > 0) {
      const free = await countFree(tx, segments)
      throw conflict('exhausted', `pool ${p.name} is exhausted: ${count} requested, ${free} free`, count > 1 ? 'nothing was allocated (--count is all or nothing)' : undefined, {requested: count, free: free.toString()})
    }
    try {
      for (const c of chosen) await insertAddresses(tx, c.family, c.found.map((a) => a.value), f, p.now)
    } catch (error) {
      // The pool's row lock serializes next-free on one server. On a cluster it is
      // local to a node: another node's commit can land between our read and our
      // insert. Then the whole transaction runs again, on fresh data.
      if ((error as {errno?: number}).errno === 1062) throw retryAgain('another node took a free address first', error)
      throw error
    }
    // the rows are what was inserted: views without reading them back
    const addresses = chosen.flatMap((c) => c.found.map((a) => newView(c.family, a, f, p.now)))
    // Linear in the count: next-free hands addresses out in order, so they fold into a few runs as they come.
    const runs = new RunBuilder()
    for (const c of chosen) for (const a of c.found) runs.add(c.family, a.value)
    await audit(tx, {action: 'ips.allocate', objectType: 'pool', objectId: p.id, detail: {pool: p.name, count, first: addresses[0].address, last: addresses.at(-1)!.address, ...f}, spans: runs.runs()})
    return {pool: p.name, addresses, rejectedRequests: [], queued: []}
  })
}

/** The view of a row next-free inserted (the same fields, in the same order, as `toView` of it). */
function newView(family: Family, a: FreeAddress, f: CheckedFields, at: string): AddressView {
  return {
    address: formatAddress(family, a.value),
    family,
    status: f.status,
    assignedTo: f.assignedTo,
    assignType: f.assignType,
    description: f.description,
    hostname: f.hostname,
    mac: f.mac,
    network: a.network,
    createdAt: at,
    updatedAt: at,
  }
}

/** The new rows as views; `networkOf` names their network (known from the pool's segments, so no lookup per row). */
async function viewsOf(tx: Tx, chosen: {family: Family; addrs: bigint[]}[], networkOf: (family: Family, a: bigint) => string | null): Promise<AddressView[]> {
  const out: AddressView[] = []
  for (const c of chosen) {
    if (c.addrs.length === 0) continue
    const lo = c.addrs[0]
    const hi = c.addrs.at(-1)!
    const [rows] = await tx.query<any[]>(
      'SELECT * FROM ip WHERE family = ? AND addr BETWEEN ? AND ? ORDER BY addr',
      [c.family, lo, hi],
    )
    const wanted = new Set(c.addrs.map(String))
    for (const r of rows) if (wanted.has(String(r.addr))) out.push({...toView(r), network: networkOf(c.family, BigInt(r.addr))})
  }
  return out
}

export function toView(r: any): AddressView {
  const family = Number(r.family) as Family
  return {
    address: formatAddress(family, BigInt(r.addr)),
    family,
    status: r.status,
    assignedTo: r.assigned_to,
    assignType: r.assign_type,
    description: r.description,
    hostname: r.hostname ?? null,
    mac: r.mac ?? null,
    network: r.network ?? null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

/**
 * Allocates one given address. A PENDING request for it refuses the
 * allocation, naming the request; with `force` the request is rejected in the
 * same transaction (its requester notified through the outbox).
 */
async function allocateGiven(pool: Pool, text: string, poolRef: string | undefined, f: CheckedFields, force: boolean): Promise<AllocateResult> {
  const a = parseAddress(text)
  return withTransaction(pool, async (tx) => {
    const net = await networkContaining(tx, a.family, a.value)
    if (!net) throw notFound(`no network contains ${formatAddress(a.family, a.value)}`, 'add the network first with `ipam networks add`')
    const why = unusableReason(cidrOfRow(net), a.value, net.gateway)
    if (why) throw usage(`${formatAddress(a.family, a.value)} cannot be allocated: ${why}`)
    let p: PoolRow | undefined
    if (poolRef) {
      p = await findPool(tx, poolRef, {forUpdate: true})
      const [inPool] = await tx.query<any[]>('SELECT id FROM ippool_range WHERE pool_id = ? AND family = ? AND start_addr <= ? AND end_addr >= ?', [p.id, a.family, a.value, a.value])
      if (inPool.length === 0) throw usage(`${formatAddress(a.family, a.value)} is not in pool ${p.name}`)
    }
    const requests = await lockPendingForAddress(tx, a.family, a.value)
    if (requests.length > 0 && !force) {
      const ids = requests.map((r) => `#${r.id}`).join(', ')
      throw conflict(
        'pending_request',
        `${formatAddress(a.family, a.value)} has a PENDING request ${ids} (from ${requests[0].email ?? 'anonymous'})`,
        `decide it first (\`ipam requests approve ${requests[0].id}\` or \`ipam requests reject ${requests[0].id}\`), or pass --force to allocate it anyway and reject the request`,
        {requests: requests.map((r) => r.id)},
      )
    }
    try {
      await insertAddresses(tx, a.family, [a.value], f)
    } catch (error) {
      if ((error as {errno?: number}).errno !== 1062) throw error
      const taken = await addressHolder(tx, a.family, a.value)
      throw conflict('address_taken', `${formatAddress(a.family, a.value)} is already ${taken ? heldAs(taken) : 'taken'}`)
    }
    const queued = await rejectInTx(tx, requests, `${formatAddress(a.family, a.value)} was allocated to ${f.assignedTo ?? 'someone else'} by ${osUser()} (ips allocate --force)`)
    await audit(tx, {action: 'ips.allocate', objectType: 'ip', objectId: formatAddress(a.family, a.value), detail: {pool: p?.name ?? null, network: net.cidr, ...f, ...(requests.length > 0 ? {rejectedRequests: requests.map((r) => r.id)} : {})}, spans: addressRuns([a])})
    return {pool: p?.name ?? null, addresses: await viewsOf(tx, [{family: a.family, addrs: [a.value]}], () => net.cidr), rejectedRequests: requests.map((r) => r.id), queued}
  })
}

/** Releases addresses (deletes their rows), all or nothing: one that is not allocated stops the lot with exit 3. */
export async function release(pool: Pool, texts: string[], opts: {dryRun?: boolean} = {}): Promise<AddressView[]> {
  if (texts.length === 0) throw usage('name at least one address to release')
  const addrs = texts.map((t) => parseAddress(t))
  // Each address once, by family, a thousand to a statement: releasing thousands is a few statements.
  const wanted = new Map<string, Address>()
  for (const a of addrs) wanted.set(`${a.family}-${a.value}`, a)
  const byFamily = new Map<Family, bigint[]>()
  for (const a of wanted.values()) {
    const list = byFamily.get(a.family) ?? []
    list.push(a.value)
    byFamily.set(a.family, list)
  }
  const chunks = [...byFamily].flatMap(([family, values]) => Array.from({length: Math.ceil(values.length / 1000)}, (_, i) => [family, values.slice(i * 1000, i * 1000 + 1000)] as const))
  return withTransaction(pool, async (tx) => {
    const rows = new Map<string, AddressView>()
    for (const [family, values] of chunks) {
      const [found] = await tx.query<any[]>('SELECT * FROM ip WHERE family = ? AND addr IN (?) ORDER BY addr FOR UPDATE', [family, values])
      for (const r of found) rows.set(`${family}-${r.addr}`, toView(r))
    }
    const missing = [...wanted].filter(([k]) => !rows.has(k)).map(([, a]) => formatAddr(a))
    if (missing.length > 0) throw notFound(`not allocated: ${missing.join(', ')}`, missing.length === wanted.size ? undefined : 'nothing was released')
    for (const [family, values] of chunks) await tx.query('DELETE FROM ip WHERE family = ? AND addr IN (?)', [family, values])
    const released = [...wanted.keys()].map((k) => rows.get(k)!)
    await audit(tx, {action: 'ips.release', objectType: 'ip', objectId: released.length === 1 ? released[0].address : null, detail: {addresses: released.map((r) => r.address)}, spans: addressRuns(wanted.values())})
    return released
  }, {rollback: opts.dryRun})
}

/** One address: its row, or FREE, with its network, pool and requests. */
export async function showAddress(pool: Pool, text: string) {
  const a = parseAddress(text)
  const v = a.value
  const [[rows], net, [ranges], [requests]] = await Promise.all([
    pool.query<any[]>('SELECT * FROM ip WHERE family = ? AND addr = ?', [a.family, v]),
    networkContaining(pool, a.family, a.value),
    pool.query<any[]>('SELECT r.id, p.name FROM ippool_range r JOIN ippool p ON p.id = r.pool_id WHERE r.family = ? AND r.start_addr <= ? AND r.end_addr >= ?', [a.family, v, v]),
    pool.query<any[]>('SELECT id, status, requested_by, email, requested_at FROM ip_request WHERE family = ? AND addr = ? ORDER BY id DESC LIMIT 20', [a.family, v]),
  ])
  if (!rows[0] && !net) throw notFound(`${formatAddress(a.family, a.value)} is in no network and not allocated`)
  const base: AddressView = rows[0]
    ? toView(rows[0])
    : {address: formatAddress(a.family, a.value), family: a.family, status: 'FREE', assignedTo: null, assignType: null, description: null, hostname: null, mac: null, network: null, createdAt: null, updatedAt: null}
  const reason = net ? unusableReason(cidrOfRow(net), a.value, net.gateway) : undefined
  return {
    ...base,
    network: net?.cidr ?? null,
    pool: ranges[0]?.name ?? null,
    usable: reason === undefined,
    note: reason ?? null,
    requests: requests.map((r) => ({id: Number(r.id), status: r.status, requestedBy: r.requested_by, email: r.email, requestedAt: r.requested_at})),
  }
}

export interface ListFilter {
  network?: string
  pool?: string
  status?: string
  limit?: number
  assignedTo?: string
  hostname?: string
  search?: string
}

/** Streams addresses in address order, without holding them all in memory. */
export async function* listAddresses(pool: Pool, filter: ListFilter): AsyncGenerator<AddressView> {
  const where: string[] = []
  const params: unknown[] = []
  if (filter.network) {
    const net = await findNetwork(pool, filter.network)
    where.push('ip.family = ? AND ip.addr BETWEEN ? AND ?')
    params.push(net.family, net.network, net.broadcast)
  }
  if (filter.pool) {
    const p = await findPool(pool, filter.pool)
    // constant ranges, which the optimizer turns into index range scans
    const [ranges] = await pool.query<any[]>('SELECT family, start_addr, end_addr FROM ippool_range WHERE pool_id = ?', [p.id])
    if (ranges.length === 0) where.push('FALSE')
    else {
      where.push(`(${ranges.map(() => '(ip.family = ? AND ip.addr BETWEEN ? AND ?)').join(' OR ')})`)
      for (const r of ranges) params.push(Number(r.family), BigInt(r.start_addr), BigInt(r.end_addr))
    }
  }
  if (filter.status) {
    where.push('ip.status = ?')
    params.push(checkStatus(filter.status))
  }
  // loaded here: search (and the pools and counts under it) is no part of allocating
  const {addressTextFilters} = await import('./search.js')
  addressTextFilters(filter, where, params)
  const limit = filter.limit && filter.limit > 0 ? " LIMIT ?" : ""
  if (limit) params.push(Math.floor(filter.limit!))
  const sql = `SELECT ip.family, ip.addr, ip.status, ip.assigned_to, ip.assign_type, ip.description, ip.hostname, ip.mac, ip.created_at, ip.updated_at
    FROM ip ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ip.family, ip.addr${limit}`
  // Each row names its most specific network, as `ips show` does, from one read of the networks.
  const networks = await NetworkIndex.load(pool)
  const stream = streamRows(pool, {sql, values: params}, 500)
  for await (const row of stream) {
    const view = toView(row)
    view.network = networks.find(view.family, BigInt(row.addr))?.cidr ?? null
    yield view
  }
}
