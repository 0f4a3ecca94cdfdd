import {audit, osUser} from '../admin/audit.js'
import type {Tx} from '../db/tx.js'
import {type Family, formatAddress} from '../net/ip.js'
import {enqueue} from './outbox.js'

/** What a rejection needs to know about a PENDING request. */
export interface PendingRequest {
  id: number
  ip: string
  network: string | null
  email: string | null
}

/**
 * Rejects PENDING requests in the caller's transaction (the caller has locked
 * them): status, audit and one message per requester with an e-mail, queued
 * in the outbox so it exists exactly when the rejection does. Returns the
 * queued message ids, to send after the commit.
 */
export async function rejectInTx(tx: Tx, requests: PendingRequest[], reason: string | null, by = osUser()): Promise<number[]> {
  if (requests.length === 0) return []
  await tx.query("UPDATE ip_request SET status = 'REJECTED', reason = ?, decided_by = ?, decided_at = CURRENT_TIMESTAMP(6) WHERE id IN (?) AND status = 'PENDING'", [reason, by, requests.map((r) => r.id)])
  await audit(tx, requests.map((r) => ({action: 'requests.reject', objectType: 'request', objectId: r.id, detail: {ip: r.ip, network: r.network, reason, by}})))
  return enqueue(tx, requests.filter((r) => r.email).map((r) => ({
    kind: 'request.rejected',
    recipient: r.email!,
    subject: `Your IP request #${r.id} for ${r.ip} was rejected`,
    body: `Your request #${r.id} for ${r.ip} in ${r.network ?? 'its network'} was rejected by ${by}.\nReason: ${reason ?? '(none given)'}\n`,
  })))
}

const toPending = (r: any): PendingRequest => ({id: Number(r.id), ip: formatAddress(Number(r.family) as Family, BigInt(r.addr)), network: r.network_cidr, email: r.email})

/** The PENDING requests of a network (by id), locked. */
export async function lockPendingOfNetwork(tx: Tx, networkId: number): Promise<PendingRequest[]> {
  const [rows] = await tx.query<any[]>("SELECT id, family, addr, network_cidr, email FROM ip_request WHERE ipnet_id = ? AND status = 'PENDING' ORDER BY id FOR UPDATE", [networkId])
  return rows.map(toPending)
}

/** The PENDING requests for one address (in any network), locked. */
export async function lockPendingForAddress(tx: Tx, family: Family, value: bigint): Promise<PendingRequest[]> {
  const [rows] = await tx.query<any[]>("SELECT id, family, addr, network_cidr, email FROM ip_request WHERE family = ? AND addr = ? AND status = 'PENDING' ORDER BY id FOR UPDATE", [family, value])
  return rows.map(toPending)
}
