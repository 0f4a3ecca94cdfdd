import type {Pool} from 'mysql2/promise'

import {audit, RunBuilder} from '../admin/audit.js'
import {deleteAddressSpace} from '../admin/purge.js'
import {writeBackup} from '../admin/backup.js'
import {SETTINGS} from '../admin/settings.js'
import {findUser, verifyPassword} from '../admin/users.js'
import {conflict, databaseError} from '../errors.js'
import type {Database} from '../db/connect.js'
import {type Tx, withTransaction} from '../db/tx.js'
import {maskedUrl} from '../db/url.js'
import {type Conflict, findConflicts, refuseImpossibleJoin, transferPlan, type TransferPlan} from './conflicts.js'
import {lockForJoin, storedMasterUrl} from './state.js'
import {plural} from '../text.js'
import {streamRows} from '../db/query.js'
import type {OnProgress} from '../progress.js'
import {insertAddressRows} from '../space/summaries.js'

export const SETUP_STEPS = [
  'record on the platform that setup has begun',
  'back up the platform',
  'copy the address space to the master and register the platform there (one transaction)',
  'delete what moved from the platform and mark it joined',
] as const

export interface Preflight {
  platformId: string
  masterId: string
  /** The master already holds the platform's data (an earlier run got past step 3). */
  registered: boolean
  alreadyJoined: boolean
  resuming: boolean
  plan: TransferPlan
  conflicts: Conflict[]
}

/**
 * Everything setup checks before it changes anything, run again on every
 * attempt (the master's host being no CNAME is checked before connecting, by
 * `refuseCnames`): the pairing itself (`refuseImpossibleJoin`, shared with
 * `integration check`), the admin's role and password, conflicts.
 */
export async function preflight(platform: Database, master: Database, input: {email: string; password: string}): Promise<Preflight> {
  const pair = await refuseImpossibleJoin(platform, master)
  const {platformId, masterId} = pair
  if (pair.alreadyJoined) {
    return {platformId, masterId, registered: true, alreadyJoined: true, resuming: false, plan: await transferPlan(platform.pool), conflicts: []}
  }
  const admin = await findUser(master.pool, input.email)
  if (!admin || !admin.admin) throw databaseError('not_admin', `${input.email} is not a user with the @admin role on the master`, 'ask a master admin to run `ipam users promote` for you')
  if (!(await verifyPassword(input.password, admin.passwordHash))) throw databaseError('access_denied', `wrong password for ${input.email} on the master`)
  const [reg] = await master.pool.query<any[]>('SELECT 1 FROM ipam_platforms WHERE instance_id = ?', [platformId])
  const registered = reg.length > 0
  const conflicts = registered ? [] : await findConflicts(platform.pool, master.pool)
  return {platformId, masterId, registered, alreadyJoined: false, resuming: pair.resuming, plan: await transferPlan(platform.pool), conflicts}
}

/** What became of the platform's settings: from the join on, the master's are the ones read. */
export interface SettingsOutcome {
  /** The master had none: the platform's value was copied there. */
  copied: {name: string; value: string}[]
  /** Both had one: the master's wins; the platform's is no longer read. */
  masterKept: {name: string; platform: string; master: string}[]
}

async function adoptSettings(platform: Pool, tx: Tx): Promise<SettingsOutcome> {
  const names = Object.keys(SETTINGS)
  const [mine] = await platform.query<any[]>('SELECT name, value FROM ipam_settings WHERE name IN (?) ORDER BY name', [names])
  const [theirs] = await tx.query<any[]>('SELECT name, value FROM ipam_settings WHERE name IN (?) FOR UPDATE', [names])
  const onMaster = new Map(theirs.map((r) => [r.name as string, r.value as string]))
  const out: SettingsOutcome = {copied: [], masterKept: []}
  for (const {name, value} of mine) {
    const master = onMaster.get(name)
    if (master === undefined) {
      await tx.query('INSERT INTO ipam_settings (name, value) VALUES (?, ?)', [name, value])
      await audit(tx, {action: 'settings.set', objectType: 'setting', objectId: name, detail: {value, from: 'integration setup'}})
      out.copied.push({name, value})
    } else if (master !== value) out.masterKept.push({name, platform: value, master})
  }
  return out
}

async function copyToMaster(platform: Pool, tx: Tx, pre: Preflight, name: string, email: string, onProgress?: OnProgress): Promise<{moved: TransferPlan; settings: SettingsOutcome}> {
  // Serialize with range and network changes on the master, then look again.
  await lockForJoin(tx)
  const again = await findConflicts(platform, tx)
  if (again.length > 0) throw conflict('conflicts', `the master changed: ${plural(again.length, 'conflict')} now`, 'run `ipam integration check` to see them', {conflicts: again})
  const netMap = new Map<string, number>()
  const [nets] = await platform.query<any[]>('SELECT id, family, network, broadcast, prefix, cidr, name, gateway, vlan, note, locations, created_at FROM ipnet ORDER BY id')
  for (const n of nets) {
    const [res] = await tx.query<any>('INSERT INTO ipnet (family, network, broadcast, prefix, cidr, name, gateway, vlan, note, locations, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      n.family, n.network, n.broadcast, n.prefix, n.cidr, n.name, n.gateway, n.vlan, n.note, typeof n.locations === 'string' ? n.locations : JSON.stringify(n.locations), n.created_at,
    ])
    netMap.set(String(n.id), Number(res.insertId))
  }
  const poolMap = new Map<string, number>()
  const [pools] = await platform.query<any[]>('SELECT id, name, note, locations, created_at FROM ippool ORDER BY id')
  for (const p of pools) {
    const [res] = await tx.query<any>('INSERT INTO ippool (name, note, locations, created_at) VALUES (?, ?, ?, ?)', [p.name, p.note, typeof p.locations === 'string' ? p.locations : JSON.stringify(p.locations), p.created_at])
    poolMap.set(String(p.id), Number(res.insertId))
  }
  const [ranges] = await platform.query<any[]>('SELECT pool_id, ipnet_id, family, start_addr, end_addr, created_at FROM ippool_range ORDER BY id')
  for (const r of ranges) {
    await tx.query('INSERT INTO ippool_range (pool_id, ipnet_id, family, start_addr, end_addr, created_at) VALUES (?, ?, ?, ?, ?, ?)', [poolMap.get(String(r.pool_id)), netMap.get(String(r.ipnet_id)), r.family, r.start_addr, r.end_addr, r.created_at])
  }
  const [requests] = await platform.query<any[]>("SELECT family, addr, ipnet_id, network_cidr, email, ip_range, region, description, requested_by, assign_type, requested_at FROM ip_request WHERE status = 'PENDING' ORDER BY id")
  for (const q of requests) {
    try {
      await tx.query('INSERT INTO ip_request (family, addr, ipnet_id, network_cidr, email, ip_range, region, description, requested_by, assign_type, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        q.family, q.addr, q.ipnet_id === null ? null : netMap.get(String(q.ipnet_id)) ?? null, q.network_cidr, q.email, q.ip_range, q.region, q.description, q.requested_by, q.assign_type, q.requested_at,
      ])
    } catch (error) {
      if ((error as {errno?: number}).errno === 1062) throw conflict('conflicts', `the master already has a PENDING request for ${q.network_cidr}`, 'decide it on the master first')
      throw error
    }
  }
  // Addresses arrive as ALLOCATED, without the assigned-to name.
  let addresses = 0
  onProgress?.({done: addresses, total: pre.plan.addresses, unit: 'addresses'})
  const stream = streamRows(platform, {sql: 'SELECT family, addr, assign_type, description, hostname, mac FROM ip ORDER BY family, addr'}, 2000)
  let batch: unknown[][] = []
  const touched = new RunBuilder()
  const flush = async () => {
    if (batch.length === 0) return
    try {
      await insertAddressRows(tx, 'family, addr, status, assigned_to, assign_type, description, hostname, mac', batch.map((b) => [b[0], b[1], 'ALLOCATED', null, b[2], b[3], b[4], b[5]]))
    } catch (error) {
      if ((error as {errno?: number}).errno === 1062) throw conflict('conflicts', 'an address of the platform is already allocated on the master', 'run `ipam integration check`')
      throw error
    }
    addresses += batch.length
    batch = []
    onProgress?.({done: addresses, total: pre.plan.addresses, unit: 'addresses'})
  }
  for await (const row of stream) {
    touched.add(Number(row.family), BigInt(row.addr))
    batch.push([row.family, row.addr, row.assign_type, row.description, row.hostname, row.mac])
    if (batch.length >= 2000) await flush()
  }
  await flush()
  await tx.query('INSERT INTO ipam_platforms (instance_id, name, joined_by) VALUES (?, ?, ?)', [pre.platformId, name.slice(0, 255), email])
  const settings = await adoptSettings(platform, tx)
  const moved = {networks: nets.length, pools: pools.length, ranges: ranges.length, pendingRequests: requests.length, addresses}
  await audit(tx, {action: 'integration.join', objectType: 'platform', objectId: pre.platformId, detail: {name, by: email, ...moved, settingsCopied: settings.copied.map((c) => c.name)}, spans: touched.runs()})
  return {moved, settings}
}

export interface SetupResult {
  alreadyJoined: boolean
  resumed: boolean
  moved: TransferPlan | null
  /** Null when an earlier run already got past the copy. */
  settings: SettingsOutcome | null
  backup: string | null
}

/**
 * Joins the platform to the master in four steps that each commit whole, so
 * that a crash at any point followed by another run ends with everything on
 * the master exactly once and nothing left on the platform.
 */
export async function runSetup(platform: Database, master: Database, pre: Preflight, opts: {
  email: string
  backupFile: string
  /** Called as step n begins. */
  onStep?: (n: number, text: string) => void
  /** How far the backup (step 2) and the copy (step 3) have got. */
  onProgress?: OnProgress
  /** Called once step n has committed (a test stops setup here, as a crash would, by throwing or killing the process). */
  afterStep?: (n: number) => void | Promise<void>
}): Promise<SetupResult> {
  if (pre.alreadyJoined) return {alreadyJoined: true, resumed: false, moved: null, settings: null, backup: null}
  const say = (n: number) => opts.onStep?.(n, SETUP_STEPS[n - 1])
  say(1)
  await withTransaction(platform.pool, async (tx) => {
    await tx.query(
      "INSERT INTO ipam_integration (id, role, master_url, master_instance_id, state, step) VALUES (1, 'PLATFORM', ?, ?, 'SETUP', 1) ON DUPLICATE KEY UPDATE step = GREATEST(step, 1)",
      [storedMasterUrl(master.url), pre.masterId],
    )
    await audit(tx, {action: 'integration.setup.begin', objectType: 'master', objectId: pre.masterId, detail: {master: maskedUrl(master.url), by: opts.email}})
  })
  await opts.afterStep?.(1)
  let backup: string | null = null
  let moved: TransferPlan | null = null
  let settings: SettingsOutcome | null = null
  if (!pre.registered) {
    say(2)
    await writeBackup(platform.pool, opts.backupFile, {database: platform.url.database, onProgress: opts.onProgress})
    backup = opts.backupFile
    await opts.afterStep?.(2)
    say(3)
    const name = `${platform.url.database ?? '?'}@${platform.node}`
    ;({moved, settings} = await withTransaction(master.pool, (tx) => copyToMaster(platform.pool, tx, pre, name, opts.email, opts.onProgress), {attempts: 3}))
    await opts.afterStep?.(3)
  }
  say(4)
  await withTransaction(platform.pool, async (tx) => {
    await deleteAddressSpace(tx, {pendingRequests: true})
    await tx.query("UPDATE ipam_integration SET state = 'JOINED', step = 4, joined_at = CURRENT_TIMESTAMP(6) WHERE id = 1")
    await audit(tx, {action: 'integration.setup', objectType: 'master', objectId: pre.masterId, detail: {master: maskedUrl(master.url), by: opts.email, moved}})
  })
  await opts.afterStep?.(4)
  return {alreadyJoined: false, resumed: pre.resuming || pre.registered, moved, settings, backup}
}

