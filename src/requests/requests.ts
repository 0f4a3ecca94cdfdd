import type {Pool} from 'mysql2/promise'

import {audit, osUser} from '../admin/audit.js'
import {getSetting} from '../admin/settings.js'
import {conflict, type ErrorKind, IpamError, notFound, usage} from '../errors.js'
import {type Tx, withTransaction} from '../db/tx.js'
import {type Family, formatAddress, parseAddress, parseRange} from '../net/ip.js'
import {checkAssignType} from '../space/addresses.js'
import {findNetwork, networkContaining} from '../space/model.js'
import {checkEmail, checkText, checkWord, isIdText, quote} from '../text.js'
import type {QueuedBatch} from './notify.js'
import {enqueue} from './outbox.js'
import {rejectInTx} from './rejection.js'
import {addressHolder, type Queryable} from '../db/query.js'
import {insertAddressRows} from '../space/summaries.js'

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
  /** The address as a number (not in JSON output: `ip` is its text). */
  readonly addr: bigint
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
  /** Its network no longer exists (removed by hand-written SQL): it can only be rejected. */
  orphaned: boolean
  reason: string | null
  decidedBy: string | null
  decidedAt: string | null
  requestedAt: string
}

export function toRequestView(r: any): RequestView {
  const family = Number(r.family) as Family
  const addr = BigInt(r.addr)
  const view = {
    id: Number(r.id),
    ip: formatAddress(family, addr),
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
    orphaned: Number(r.orphaned ?? 0) === 1,
    reason: r.reason,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    requestedAt: r.requested_at,
  }
  // kept for the domain's own use, left out of JSON (a bigint cannot be serialised)
  return Object.defineProperty(view, 'addr', {value: addr, enumerable: false}) as RequestView
}

const REQUEST_COLUMNS = `id, family, addr, ipnet_id, network_cidr, email, ip_range, region, description, requested_by, assign_type, status, reason, decided_by, decided_at, requested_at,
  (ipnet_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ipnet WHERE ipnet.id = ip_request.ipnet_id)) AS orphaned`

/** How messages name the fields: the CLI's flag names by default; the HTTP intake passes the agent's (`ipRange`). */
export interface FieldNames {
  ipRange?: string
}

/** Checks every field a request agent or script may send; the first bad one is named. */
export function checkSubmission(input: SubmitInput, names: FieldNames = {}) {
  if (input.ip === undefined || input.ip.trim() === '') throw usage('ip is required', 'e.g. --ip 192.0.2.10')
  const a = parseAddress(input.ip, 'ip')
  const email = input.email === undefined || input.email === '' ? null : checkEmail(input.email, 'email')
  let ipRange: string | null = null
  if (input.ipRange !== undefined && input.ipRange !== '') {
    checkText(names.ipRange ?? 'ip-range', input.ipRange, 100)
    parseRange(input.ipRange, names.ipRange ?? 'ip-range')
    ipRange = input.ipRange.trim()
  }
  const region = input.region === undefined || input.region === '' ? null : checkWord('region', input.region, 100)!
  const description = input.description === undefined || input.description === '' ? null : checkText('description', input.description, 2000, {multiline: true})!
  const assignType = checkAssignType(input.assignType) ?? 'USER'
  return {a, email, ipRange, region, description, assignType}
}

/**
 * Files a PENDING request for the most specific network holding the address.
 * The unique key on (family, pending address, network CIDR) lets only one
 * PENDING request per address and network exist, whatever the interleaving,
 * also when a network was removed by hand and added again (new id, same CIDR).
 */
export async function submitRequest(pool: Pool, input: SubmitInput, opts: {requestedBy?: string; fieldNames?: FieldNames} = {}): Promise<{request: RequestView; queued: QueuedBatch}> {
  const s = checkSubmission(input, opts.fieldNames)
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
      const [rows] = await tx.query<any[]>(`SELECT ${REQUEST_COLUMNS} FROM ip_request WHERE family = ? AND addr = ? AND network_cidr = ? AND status = 'PENDING'`, [s.a.family, s.a.value, net.cidr])
      const other = rows[0] ? toRequestView(rows[0]) : undefined
      throw conflict(
        'duplicate_request',
        `a PENDING request for ${formatAddress(s.a.family, s.a.value)} in ${net.cidr} already exists${other ? ` (#${other.id}${other.orphaned ? ', orphaned: its network was removed' : ''})` : ''}`,
        other?.orphaned ? `reject it first: \`ipam requests reject ${other.id}\`` : undefined,
      )
    }
    const request = await getRequest(tx, id)
    await audit(tx, {action: 'requests.submit', objectType: 'request', objectId: id, detail: {ip: request.ip, network: net.cidr, email: s.email, region: s.region}})
    const support = await getSetting(tx, 'support-email')
    const queued = !support ? [] : await enqueue(tx, [{
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
      }])
    return {request, queued}
  })
}

export async function getRequest(db: Queryable, id: number | string, opts: {forUpdate?: boolean} = {}): Promise<RequestView> {
  if (!isIdText(String(id))) throw usage(`${quote(String(id))} is not a request id`)
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
    // The network and the networks nested in it: every request for an address inside it.
    const net = await findNetwork(pool, filter.network)
    where.push('family = ? AND addr BETWEEN ? AND ?')
    params.push(net.family, net.network, net.broadcast)
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
export async function requestConflicts(db: Queryable, r: RequestView) {
  const [held, [others]] = await Promise.all([
    addressHolder(db, r.family, r.addr),
    db.query<any[]>("SELECT id, email FROM ip_request WHERE family = ? AND addr = ? AND status = 'PENDING' AND id <> ?", [r.family, r.addr, r.id]),
  ])
  return {
    address: held ?? null,
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

/** Per-id results, and the notifications the decisions queued. */
export interface Decisions {
  decisions: Decision[]
  queued: QueuedBatch
}

export interface Decision {
  id: number
  ok: boolean
  status: RequestStatus | null
  ip?: string
  message: string
  code?: string
  kind?: ErrorKind
}

const failed = (id: number, e: IpamError): Decision => ({id, ok: false, status: null, message: e.message, code: e.code, kind: e.kind})

/** Request ids from the command line: each bad one is its own failed decision. */
function parseIds(ids: string[]): {valid: number[]; invalid: Decision[]} {
  const valid: number[] = []
  const seen = new Set<number>()
  const invalid: Decision[] = []
  for (const raw of ids) {
    if (isIdText(raw)) {
      const id = Number(raw)
      if (!seen.has(id)) {
        seen.add(id)
        valid.push(id)
      }
    } else invalid.push({id: Number.NaN, ok: false, status: null, message: `${quote(raw)} is not a request id`, code: 'usage', kind: 'usage'})
  }
  return {valid, invalid}
}

/**
 * Locks the requests (in id order, so that two deciders cannot deadlock
 * forever) and splits them into PENDING ones and per-id failures.
 */
async function lockRequests(tx: Tx, ids: number[]): Promise<{pending: RequestView[]; failures: Map<number, Decision>}> {
  const failures = new Map<number, Decision>()
  const [rows] = await tx.query<any[]>(`SELECT ${REQUEST_COLUMNS} FROM ip_request WHERE id IN (?) ORDER BY id FOR UPDATE`, [ids])
  const found = new Map(rows.map((r) => [Number(r.id), toRequestView(r)]))
  const pending: RequestView[] = []
  for (const id of ids) {
    const r = found.get(id)
    if (!r) failures.set(id, failed(id, notFound(`no request #${id}`)))
    else if (r.status !== 'PENDING') failures.set(id, failed(id, decidedError(r)))
    else pending.push(r)
  }
  return {pending, failures}
}

function order(ids: string[], valid: number[], decisions: Map<number, Decision>, invalid: Decision[]): Decision[] {
  const out: Decision[] = []
  const shown = new Set<Decision>()
  let bad = 0
  for (const raw of ids) {
    if (isIdText(raw)) {
      const d = decisions.get(Number(raw))
      if (d && !shown.has(d)) {
        shown.add(d)
        out.push(d)
      }
    } else out.push(invalid[bad++])
  }
  return out
}

/**
 * Approves PENDING requests, each on its own (one that cannot be approved does
 * not stop the others), in one transaction with a handful of statements
 * whatever their number: the address of each becomes USED, assigned to its
 * requester. Row locks on the requests make two deciders of one request queue
 * (on a cluster the conflicting commit fails and the whole transaction runs
 * again); the unique key on `ip` keeps each address single. An address held
 * by someone else refuses that approval and its request stays PENDING.
 */
export async function approveMany(pool: Pool, ids: string[], by = osUser()): Promise<Decisions> {
  return decideEach(pool, ids, async (tx, pending, out, queued) => {
    if (pending.length > 0) {
      const keys = pending.map((r) => [r.family, r.addr] as [Family, bigint])
      const [held] = await tx.query<any[]>('SELECT id, family, addr, status, assigned_to FROM ip WHERE (family, addr) IN (?) FOR UPDATE', [keys])
      const holder = new Map(held.map((h) => [`${h.family}-${h.addr}`, h]))
      // the approved request behind an address, to name who holds it
      const [granted] = await tx.query<any[]>("SELECT family, addr, MAX(id) AS id FROM ip_request WHERE status = 'APPROVED' AND (family, addr) IN (?) GROUP BY family, addr", [keys])
      for (const g of granted) {
        const h = holder.get(`${g.family}-${g.addr}`)
        if (h) h.request = Number(g.id)
      }
      const inserts: unknown[][] = []
      const approved: RequestView[] = []
      pending.forEach((r, i) => {
        if (r.orphaned) {
          out.set(r.id, failed(r.id, conflict('orphaned', `request #${r.id} is orphaned: its network ${r.network ?? ''} no longer exists, so it can only be rejected`, `ipam requests reject ${r.id} --reason "network removed"`)))
          return
        }
        const key = `${keys[i][0]}-${keys[i][1]}`
        const h = holder.get(key)
        // Approving confirms an address already given by hand to this very requester (by e-mail);
        // any other holder, another request above all, refuses it.
        if (h && !(h.request === undefined && r.email !== null && h.assigned_to === r.email)) {
          const who = `${h.assigned_to ? ` to ${h.assigned_to}` : ''}${h.request === undefined ? '' : ` (request #${h.request})`}`
          out.set(r.id, failed(r.id, conflict('address_taken', `${r.ip} is already ${h.status}${who}; request #${r.id} stays PENDING`)))
          return
        }
        if (h) h.reuse = true
        else {
          inserts.push([keys[i][0], keys[i][1], 'USED', r.assignedTo, r.assignType, r.description])
          // a second request for the same address in this batch finds it taken by this one
          holder.set(key, {status: 'USED', assigned_to: r.assignedTo, request: r.id})
        }
        approved.push(r)
      })
      for (const h of held) if (h.reuse) await tx.query("UPDATE ip SET status = 'USED' WHERE id = ?", [h.id])
      await insertAddressRows(tx, 'family, addr, status, assigned_to, assign_type, description', inserts)
      if (approved.length > 0) {
        await tx.query("UPDATE ip_request SET status = 'APPROVED', decided_by = ?, decided_at = CURRENT_TIMESTAMP(6) WHERE id IN (?)", [by, approved.map((r) => r.id)])
        await audit(tx, approved.map((r) => ({action: 'requests.approve', objectType: 'request', objectId: r.id, detail: {ip: r.ip, network: r.network, assignedTo: r.assignedTo, by}})))
        queued.push(...await enqueue(tx, approved.filter((r) => r.email).map((r) => ({
          kind: 'request.approved',
          recipient: r.email!,
          subject: `Your IP request #${r.id} for ${r.ip} was approved`,
          body: `Your request #${r.id} for ${r.ip} in ${r.network ?? 'its network'} was approved by ${by}.\nThe address is now assigned to ${r.assignedTo}.\n`,
        }))))
      }
      for (const r of approved) out.set(r.id, {id: r.id, ok: true, status: 'APPROVED', ip: r.ip, message: `#${r.id} ${r.ip}, now USED by ${r.assignedTo}`})
    }
  })
}

/** Rejects PENDING requests, each on its own, in one transaction; the reason goes to each requester. */
export async function rejectMany(pool: Pool, ids: string[], reason: string | undefined, by = osUser()): Promise<Decisions> {
  const why = reason === undefined || reason.trim() === '' ? null : checkText('reason', reason, 2000, {multiline: true})!
  return decideEach(pool, ids, async (tx, pending, out, queued) => {
    if (pending.length > 0) {
      queued.push(...(await rejectInTx(tx, pending, why, by)))
      for (const r of pending) out.set(r.id, {id: r.id, ok: true, status: 'REJECTED', ip: r.ip, message: `#${r.id} ${r.ip}`})
    }
  })
}

/**
 * The frame of every batch decision: ids parsed (bad ones are failed
 * decisions), the PENDING ones locked in one transaction, `decide` run on them,
 * the results in the order given, with the outbox ids the decisions queued.
 */
async function decideEach(
  pool: Pool, ids: string[],
  decide: (tx: Tx, pending: RequestView[], out: Map<number, Decision>, queued: QueuedBatch) => Promise<void>,
): Promise<Decisions> {
  const {valid, invalid} = parseIds(ids)
  let queued: QueuedBatch = []
  const decisions = valid.length === 0 ? new Map<number, Decision>() : await withTransaction(pool, async (tx) => {
    queued = [] // a retried transaction starts over
    const {pending, failures} = await lockRequests(tx, valid)
    const out = new Map(failures)
    await decide(tx, pending, out, queued)
    return out
  })
  return {decisions: order(ids, valid, decisions, invalid), queued}
}

/** Approves one request (triage decides one at a time); a refusal is a failed decision, not an error. */
export async function approveOne(pool: Pool, id: number, by = osUser()): Promise<{decision: Decision; queued: QueuedBatch}> {
  const {decisions, queued} = await approveMany(pool, [String(id)], by)
  return {decision: decisions[0], queued}
}

/** Rejects one request, with an optional reason. */
export async function rejectOne(pool: Pool, id: number, reason: string | undefined, by = osUser()): Promise<{decision: Decision; queued: QueuedBatch}> {
  const {decisions, queued} = await rejectMany(pool, [String(id)], reason, by)
  return {decision: decisions[0], queued}
}

/** The kind of the first failed decision: what the exit code reports (undefined when all succeeded). */
export function firstFailure(decisions: Decision[]): ErrorKind | undefined {
  return decisions.find((d) => !d.ok)?.kind ?? (decisions.some((d) => !d.ok) ? 'bug' : undefined)
}
