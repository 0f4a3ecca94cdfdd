import type {Pool} from 'mysql2/promise'

import type {Tx} from '../db/tx.js'
import type {DbUrl} from '../db/url.js'
import type {Queryable} from '../db/query.js'

/**
 * What a database keeps about its place in an integration, and nothing else:
 * every command's routing reads this module, so it must stay light (no
 * backup, purge or users here — they belong to setup).
 */

export interface IntegrationRow {
  state: 'SETUP' | 'JOINED'
  masterUrl: string
  masterInstanceId: string | null
  step: number
  startedAt: string
  joinedAt: string | null
}

/** This database's link to its master, if it is (or is becoming) a platform. */
export async function readIntegration(db: Queryable): Promise<IntegrationRow | undefined> {
  const [rows] = await db.query<any[]>('SELECT state, master_url, master_instance_id, step, started_at, joined_at FROM ipam_integration WHERE id = 1')
  if (rows.length === 0) return undefined
  const r = rows[0]
  return {state: r.state, masterUrl: r.master_url, masterInstanceId: r.master_instance_id, step: Number(r.step), startedAt: r.started_at, joinedAt: r.joined_at}
}

export async function platformsOf(db: Queryable): Promise<{instanceId: string; name: string; joinedAt: string; joinedBy: string | null}[]> {
  const [rows] = await db.query<any[]>('SELECT instance_id, name, joined_at, joined_by FROM ipam_platforms ORDER BY joined_at')
  return rows.map((r) => ({instanceId: r.instance_id, name: r.name, joinedAt: r.joined_at, joinedBy: r.joined_by}))
}

export async function instanceId(db: Queryable): Promise<string> {
  const [rows] = await db.query<any[]>("SELECT value FROM ipam_settings WHERE name = 'instance-id'")
  return rows[0]?.value
}

/**
 * The master's URL as kept on the platform: the URL's structure without its
 * password (no secret is stored in a database in clear). `needsPassword`
 * records that the master was reached with one, so that a command lacking it
 * can say how to give it before it even tries.
 */
export interface StoredMasterUrl {
  url: DbUrl
  needsPassword: boolean
}

export function storedMasterUrl(url: DbUrl): string {
  const {password, ...rest} = url
  return JSON.stringify({...rest, needsPassword: password !== undefined})
}

export function masterUrlOf(row: {masterUrl: string}): StoredMasterUrl {
  const parsed = JSON.parse(row.masterUrl) as DbUrl & {needsPassword?: boolean}
  const {needsPassword, password, ...url} = parsed
  // Never used from here: a row written before passwords left the database is cleaned by `ipam db migrate`.
  return {url, needsPassword: Boolean(needsPassword) || password !== undefined}
}

/**
 * The lock rows that serialise a join with changes to the master's address
 * space: setup's copy takes both, `networks add` takes 'networks' and
 * `ranges add` takes 'ranges', so nothing slips in between setup's last
 * conflict check and its commit.
 */
export async function lockForJoin(tx: Tx): Promise<void> {
  await tx.query("UPDATE ipam_locks SET version = version + 1 WHERE name IN ('ranges', 'networks')")
}
