import type {Pool} from 'mysql2/promise'

import type {Tx} from '../db/tx.js'
import type {DbUrl} from '../db/url.js'

export interface IntegrationRow {
  state: 'SETUP' | 'JOINED'
  masterUrl: string
  masterInstanceId: string | null
  step: number
  startedAt: string
  joinedAt: string | null
}

/** This database's link to its master, if it is (or is becoming) a platform. */
export async function readIntegration(db: Pool | Tx): Promise<IntegrationRow | undefined> {
  const [rows] = await db.query<any[]>('SELECT state, master_url, master_instance_id, step, started_at, joined_at FROM ipam_integration WHERE id = 1')
  if (rows.length === 0) return undefined
  const r = rows[0]
  return {state: r.state, masterUrl: r.master_url, masterInstanceId: r.master_instance_id, step: Number(r.step), startedAt: r.started_at, joinedAt: r.joined_at}
}

export async function platformsOf(db: Pool | Tx): Promise<{instanceId: string; name: string; joinedAt: string; joinedBy: string | null}[]> {
  const [rows] = await db.query<any[]>('SELECT instance_id, name, joined_at, joined_by FROM ipam_platforms ORDER BY joined_at')
  return rows.map((r) => ({instanceId: r.instance_id, name: r.name, joinedAt: r.joined_at, joinedBy: r.joined_by}))
}

export async function instanceId(db: Pool | Tx): Promise<string> {
  const [rows] = await db.query<any[]>("SELECT value FROM ipam_settings WHERE name = 'instance-id'")
  return rows[0]?.value
}

/** The master's URL as kept on the platform (every routed command reads it; kept apart from setup so that they load no setup code). */
export function masterUrlOf(row: {masterUrl: string}): DbUrl {
  return JSON.parse(row.masterUrl) as DbUrl
}
