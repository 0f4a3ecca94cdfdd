import type {Pool} from 'mysql2/promise'

import {audit, osUser} from '../admin/audit.js'
import {getSetting} from '../admin/settings.js'
import {conflict, IpamError, notFound, usage} from '../cli/errors.js'
import {type Tx, withTransaction} from '../db/tx.js'
import {type Family, formatAddress, parseAddress, parseRange} from '../net/ip.js'
import {checkAssignType} from '../space/addresses.js'
import {findNetwork, networkContaining} from '../space/model.js'
import {checkEmail, checkText, checkWord, quote} from '../text.js'
import {enqueue} from './outbox.js'

export const REQUEST_STATUSES = ['PENDING', 'APPROVED', 'REJECTED'] as const
export type RequestStatus = (typeof REQUEST_STATUSES)[number]

export interface SubmitInput {
  ip: string
  email?: string
  ipRange?: string
  region?: string
  description?: string
  assignType?: string
}

export interface RequestView {
  id: number
  ip: string
  family: Family
  network: string | null
  networkId: number | null
  email: string | null
  ipRange: string | null
  region: string | null
  description: string | null
  requestedBy: string
  assignType: string
  /** Who the address goes to on approval: the e-mail, else `anonymous`. */
  assignedTo: string
  status: RequestStatus
  reason: string | null
  decidedBy: string | null
  decidedAt: string | null
  requestedAt: string
}

export function toRequestView(r: any): RequestView {
  const family = Number(r.family) as Family
  return {
    id: Number(r.id),
    ip: formatAddress(family, BigInt(r.addr)),
    family,
    network: r.network_cidr,
    networkId: r.ipnet_id === null ? null : Number(r.ipnet_id),
    email: r.email,
    ipRange: r.ip_range,
    region: r.region,
    description: r.description,
    requestedBy: r.requested_by,
    assignType: r.assign_type,
    assignedTo: r.email ?? r.requested_by ?? 'anonymous',
    status: r.status,
    reason: r.reason,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    requestedAt: r.requested_at,
  }
}

const REQUEST_COLUMNS = 'id, family, addr, ipnet_id, network_cidr, email, ip_range, region, description, requested_by, assign_type, status, reason, decided_by, decided_at, requested_at'

/** Checks every field a request agent or script may send; the first bad one is named. */
export function checkSubmission(input: SubmitInput) {
  if (input.ip === undefined || input.ip.trim() === '') throw usage('ip is required', 'e.g. --ip 192.0.2.10')
  const a = parseAddress(input.ip, 'ip')
  const email = input.email === undefined || input.email === '' ? null : checkEmail(input.email, 'email')
  let ipRange: string | null = null
  if (input.ipRange !== undefined && input.ipRange !== '') {
    checkText('ip-range', input.ipRange, 100)
    parseRange(input.ipRange, 'ip-range')
    ipRange = input.ipRange.trim()
  }
  const region = input.region === undefined || input.region === '' ? null : checkWord('region', input.region, 100)!
  const description = input.description === undefined || input.description === '' ? null : checkText('description', input.description, 2000, {multiline: true})!
  const assignType = checkAssignType(input.assignType) ?? 'USER'
  return {a, email, ipRange, region, description, assignType}
}

/**
 * Files a PENDING request for the most specific network holding the address.
 * The unique key on (family, pending address, network) lets only one PENDING
 * request per address and network exist, whatever the interleaving.
 */
export async function submitRequest(pool: Pool, input: SubmitInput, opts: {requestedBy?: string} = {}): Promise<RequestView> {
  const s = checkSubmission(input)
  return withTransaction(pool, async (tx) => {
    const net = await networkContaining(tx, s.a.family, s.a.value)
    if (!net) throw notFound(`no network contains ${formatAddress(s.a.family, s.a.value)}`, 'requests are for addresses of known networks (`ipam networks list`)')
    let id: number
    try {
      const [res] = await tx.query<any>(
        'INSERT INTO ip_request (family, addr, ipnet_id, network_cidr, email, ip_range, region, description, requested_by, assign_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [s.a.family, s.a.value, net.id, net.cidr, s.email, s.ipRange, s.region, s.description, opts.requestedBy ?? 'anonymous', s.assignType],
      )
      id = Number(res.insertId)
    } catch (error) {
      if ((error as {errno?: number}).errno !== 1062) throw error
      const [rows] = await tx.query<any[]>("SELECT id FROM ip_request WHERE family = ? AND addr = ? AND ipnet_id = ? AND status = 'PENDING'", [s.a.family, s.a.value, net.id])
      throw conflict('duplicate_request', `a PENDING request for ${formatAddress(s.a.family, s.a.value)} in ${net.cidr} already exists${rows[0] ? ` (#${rows[0].id})` : ''}`)
    }
    const request = await getRequest(tx, id)
    await audit(tx, {action: 'requests.submit', objectType: 'request', objectId: id, detail: {ip: request.ip, network: net.cidr, email: s.email, region: s.region}})
    const support = await getSetting(tx, 'support-email')
    if (support) {
      await enqueue(tx, {
        kind: 'request.submitted',
        recipient: support,
        subject: `IP request #${id}: ${request.ip} in ${net.cidr}`,
        body: [
          `A new IP request is waiting for a decision.`,
          ``,
          `Request:     #${id}`,
          `Address:     ${request.ip}`,
          `Network:     ${net.cidr}${net.name ? ` (${net.name})` : ''}`,
          `Requester:   ${request.email ?? 'anonymous'}`,
          `Region:      ${request.region ?? '-'}`,
          `Range:       ${request.ipRange ?? '-'}`,
          `Description: ${request.description ?? '-'}`,
          ``,
          `Decide with: ipam requests approve ${id}   or   ipam requests reject ${id} --reason "..."`,
        ].join('\n'),
      })
    }
    return request
  })
}

export async function getRequest(db: Pool | Tx, id: number | string, opts: {forUpdate?: boolean} = {}): Promise<RequestView> {
  if (!/^\d+$/.test(String(id)) || String(id).length > 18) throw usage(`${quote(String(id))} is not a request id`)
  const [rows] = await db.query<any[]>(`SELECT ${REQUEST_COLUMNS} FROM ip_request WHERE id = ?${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id])
  if (rows.length === 0) throw notFound(`no request #${id}`, 'list requests with `ipam requests list --status ALL`')
  return toRequestView(rows[0])
}

export interface RequestFilter {
  status?: string
  network?: string
  region?: string
  sort?: 'oldest' | 'newest'
  limit?: number
}

export async function listRequests(pool: Pool, filter: RequestFilter = {}): Promise<RequestView[]> {
  const where: string[] = []
  const params: unknown[] = []
  const status = (filter.status ?? 'PENDING').toUpperCase()
  if (status !== 'ALL') {
    if (!(REQUEST_STATUSES as readonly string[]).includes(status)) throw usage(`invalid status ${quote(filter.status ?? '')}`, 'PENDING, APPROVED, REJECTED or ALL')
    where.push('status = ?')
    params.push(status)
  }
  if (filter.network) {
    const net = await findNetwork(pool, filter.network)
    where.push('ipnet_id = ?')
    params.push(net.id)
  }
  if (filter.region) {
    where.push('region = ?')
    params.push(filter.region)
  }
  params.push(filter.limit ?? 1000)
  const order = filter.sort === 'newest' ? 'DESC' : 'ASC'
  const [rows] = await pool.query<any[]>(`SELECT ${REQUEST_COLUMNS} FROM ip_request ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY requested_at ${order}, id ${order} LIMIT ?`, params)
  return rows.map(toRequestView)
}

/** What stands in the way of approving: the address is taken, or other requests want it. */
export async function requestConflicts(db: Pool | Tx, r: RequestView) {
  const a = parseAddress(r.ip)
  const [[ips], [others]] = await Promise.all([
    db.query<any[]>('SELECT status, assigned_to FROM ip WHERE family = ? AND addr = ?', [a.family, a.value]),
    db.query<any[]>("SELECT id, email FROM ip_request WHERE family = ? AND addr = ? AND status = 'PENDING' AND id <> ?", [a.family, a.value, r.id]),
  ])
  return {
    address: ips[0] ? {status: ips[0].status as string, assignedTo: ips[0].assigned_to as string | null} : null,
    otherRequests: others.map((o) => ({id: Number(o.id), email: o.email as string | null})),
  }
}

export async function showRequest(pool: Pool, id: string) {
  const r = await getRequest(pool, id)
  const conflicts = await requestConflicts(pool, r)
  const [history] = await pool.query<any[]>("SELECT at, os_user, action, detail FROM ipam_audit WHERE object_type = 'request' AND object_id = ? ORDER BY id", [String(r.id)])
  return {
    ...r,
    addressFree: conflicts.address === null,
    address: conflicts.address,
    otherRequests: conflicts.otherRequests,
    history: history.map((h) => ({at: h.at, by: h.os_user, action: h.action, detail: typeof h.detail === 'string' ? JSON.parse(h.detail) : h.detail})),
  }
}

function decidedError(r: RequestView): IpamError {
  return conflict('already_decided', `request #${r.id} is already ${r.status}${r.decidedBy ? ` by ${r.decidedBy}` : ''}${r.decidedAt ? ` at ${r.decidedAt.slice(0, 19)}` : ''}`)
}

export interface Decision {
  id: number
  ok: boolean
  status: RequestStatus | null
  message: string
  code?: string
  exit?: number
}

/**
 * Approves a PENDING request: in one transaction the request becomes APPROVED
 * and the address USED, assigned to the requester. The request row lock makes
 * two approvals of one request queue (on a cluster, the conflicting commit
 * fails and is retried); the unique key on `ip` keeps the address single.
 */
export async function approveRequest(pool: Pool, id: string, by = osUser()): Promise<RequestView> {
  return withTransaction(pool, async (tx) => {
    const r = await getRequest(tx, id, {forUpdate: true})
    if (r.status !== 'PENDING') throw decidedError(r)
    const a = parseAddress(r.ip)
    const [taken] = await tx.query<any[]>('SELECT id, status, assigned_to FROM ip WHERE family = ? AND addr = ? FOR UPDATE', [a.family, a.value])
    if (taken[0] && taken[0].assigned_to !== r.assignedTo) {
      throw conflict('address_taken', `${r.ip} is already ${taken[0].status}${taken[0].assigned_to ? ` to ${taken[0].assigned_to}` : ''}; request #${r.id} stays PENDING`, `release it first (\`ipam ips release ${r.ip}\`) or reject the request`)
    }
    if (taken[0]) {
      await tx.query("UPDATE ip SET status = 'USED', assign_type = ?, description = COALESCE(?, description) WHERE id = ?", [r.assignType, r.description, taken[0].id])
    } else {
      try {
        await tx.query("INSERT INTO ip (family, addr, status, assigned_to, assign_type, description) VALUES (?, ?, 'USED', ?, ?, ?)", [a.family, a.value, r.assignedTo, r.assignType, r.description])
      } catch (error) {
        if ((error as {errno?: number}).errno === 1062) throw conflict('address_taken', `${r.ip} was just taken; request #${r.id} stays PENDING`)
        throw error
      }
    }
    await tx.query("UPDATE ip_request SET status = 'APPROVED', decided_by = ?, decided_at = CURRENT_TIMESTAMP(6) WHERE id = ?", [by, r.id])
    await audit(tx, {action: 'requests.approve', objectType: 'request', objectId: r.id, detail: {ip: r.ip, network: r.network, assignedTo: r.assignedTo, by}})
    if (r.email) {
      await enqueue(tx, {
        kind: 'request.approved',
        recipient: r.email,
        subject: `Your IP request #${r.id} for ${r.ip} was approved`,
        body: `Your request #${r.id} for ${r.ip} in ${r.network ?? 'its network'} was approved by ${by}.\nThe address is now assigned to ${r.assignedTo}.\n`,
      })
    }
    return getRequest(tx, r.id)
  })
}

export async function rejectRequest(pool: Pool, id: string, reason: string | undefined, by = osUser()): Promise<RequestView> {
  const why = reason === undefined || reason.trim() === '' ? null : checkText('reason', reason, 2000, {multiline: true})!
  return withTransaction(pool, async (tx) => {
    const r = await getRequest(tx, id, {forUpdate: true})
    if (r.status !== 'PENDING') throw decidedError(r)
    await tx.query("UPDATE ip_request SET status = 'REJECTED', reason = ?, decided_by = ?, decided_at = CURRENT_TIMESTAMP(6) WHERE id = ?", [why, by, r.id])
    await audit(tx, {action: 'requests.reject', objectType: 'request', objectId: r.id, detail: {ip: r.ip, network: r.network, reason: why, by}})
    if (r.email) {
      await enqueue(tx, {
        kind: 'request.rejected',
        recipient: r.email,
        subject: `Your IP request #${r.id} for ${r.ip} was rejected`,
        body: `Your request #${r.id} for ${r.ip} in ${r.network ?? 'its network'} was rejected by ${by}.\nReason: ${why ?? '(none given)'}\n`,
      })
    }
    return getRequest(tx, r.id)
  })
}

/** Decides several requests, each on its own; one failing does not stop the others. */
export async function decideMany(ids: string[], decide: (id: string) => Promise<RequestView>): Promise<Decision[]> {
  const out: Decision[] = []
  for (const id of ids) {
    try {
      const r = await decide(id)
      out.push({id: Number(id), ok: true, status: r.status, message: `#${r.id} ${r.ip}: ${r.status}`})
    } catch (error) {
      if (!(error instanceof IpamError)) throw error
      out.push({id: Number(id), ok: false, status: null, message: error.message, code: error.code, exit: error.exit})
    }
  }
  return out
}
