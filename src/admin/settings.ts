import type {Pool} from 'mysql2/promise'

/** Utilization thresholds for bars (settings utilization-warn / utilization-critical). */
export async function utilizationThresholds(pool: Pool): Promise<{warn: number; critical: number}> {
  const [rows] = await pool.query<any[]>("SELECT name, value FROM ipam_settings WHERE name IN ('utilization-warn', 'utilization-critical')")
  const get = (name: string, fallback: number) => {
    const v = Number(rows.find((r) => r.name === name)?.value)
    return Number.isFinite(v) && v > 0 && v <= 100 ? v : fallback
  }
  return {warn: get('utilization-warn', 80), critical: get('utilization-critical', 95)}
}

import {audit} from './audit.js'
import {usage} from '../errors.js'
import {type Tx, withTransaction} from '../db/tx.js'
import {checkEmail} from '../text.js'
import type {Queryable} from '../db/query.js'

/** Database-wide settings and how each value is checked. */
export const SETTINGS: Record<string, {description: string; check: (v: string) => string}> = {
  'support-email': {description: 'where new requests are announced by e-mail', check: (v) => checkEmail(v, 'support-email')},
  'utilization-warn': {description: 'percentage at which bars turn yellow (default 80)', check: percentSetting('utilization-warn')},
  'utilization-critical': {description: 'percentage at which bars turn red (default 95)', check: percentSetting('utilization-critical')},
}

function percentSetting(name: string) {
  return (v: string) => {
    const n = Number(v)
    if (!/^\d+(\.\d+)?$/.test(v) || n <= 0 || n > 100) throw usage(`${name} must be a percentage between 0 and 100 (got "${v}")`)
    return String(n)
  }
}

function checkName(name: string) {
  if (!SETTINGS[name]) throw usage(`unknown setting "${name}"`, `settings: ${Object.keys(SETTINGS).join(', ')}`)
}

export async function getSetting(db: Queryable, name: string): Promise<string | undefined> {
  const [rows] = await db.query<any[]>('SELECT value FROM ipam_settings WHERE name = ?', [name])
  return rows[0]?.value
}

export async function setSetting(pool: Pool, name: string, value: string) {
  checkName(name)
  const checked = SETTINGS[name].check(value)
  await withTransaction(pool, async (tx) => {
    await tx.query('INSERT INTO ipam_settings (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)', [name, checked])
    await audit(tx, {action: 'settings.set', objectType: 'setting', objectId: name, detail: {value: checked}})
  })
  return {name, value: checked}
}

export async function listSettings(pool: Pool) {
  const [rows] = await pool.query<any[]>('SELECT name, value, updated_at FROM ipam_settings ORDER BY name')
  const stored = new Map(rows.map((r) => [r.name, r]))
  const out = Object.entries(SETTINGS).map(([name, s]) => ({name, value: stored.get(name)?.value ?? null, description: s.description}))
  const id = stored.get('instance-id')
  if (id) out.unshift({name: 'instance-id', value: id.value, description: 'this database\'s identity (read-only)'})
  return out
}

export function settingNameOk(name: string) {
  if (name !== 'instance-id') checkName(name)
}
