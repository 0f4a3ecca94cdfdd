import {createReadStream} from 'node:fs'
import {open} from 'node:fs/promises'
import {createInterface} from 'node:readline'
import type {Pool} from 'mysql2/promise'

import {audit} from '../admin/audit.js'
import {IpamError, notFound, usage} from '../errors.js'
import {type Tx, withTransaction} from '../db/tx.js'
import {formatAddress, formatCidr, formatRange, parseAddress, parseCidr, parseRange, unusableReason} from '../net/ip.js'
import {checkText, checkWord} from '../text.js'
import {csvField, readCsv} from './csv.js'
import {checkLocations, NETWORK_COLUMNS, parseJsonArray, RANGE_SELECT, toNetworkRow, toRangeRow} from './model.js'

/**
 * Networks, pools and their ranges in and out, one record per line:
 *   JSON lines: {"type":"network","cidr":…,"name":…,"gateway":…,"vlan":…,"locations":[…],"note":…}
 *               {"type":"pool","name":…,"locations":[…],"note":…}
 *               {"type":"range","pool":…,"range":"start-end"}
 *   CSV:        type,cidr,name,gateway,vlan,locations,note,range — a pool row names the pool in `name`,
 *               a range row names its pool in `name` and the block in `range`; locations are joined by ";".
 */
export const NET_CSV_COLUMNS = ['type', 'cidr', 'name', 'gateway', 'vlan', 'locations', 'note', 'range'] as const
export type NetFormat = 'csv' | 'jsonl'

export type SpaceRecord =
  | {type: 'network'; cidr: string; name: string | null; gateway: string | null; vlan: number | null; locations: string[]; note: string | null}
  | {type: 'pool'; name: string; locations: string[]; note: string | null}
  | {type: 'range'; pool: string; range: string}

export async function* exportSpace(pool: Pool): AsyncGenerator<SpaceRecord> {
  const [nets] = await pool.query<any[]>(`SELECT ${NETWORK_COLUMNS} FROM ipnet ORDER BY family, network, prefix`)
  for (const r of nets) {
    const n = toNetworkRow(r)
    yield {type: 'network', cidr: n.cidr, name: n.name, gateway: n.gateway === null ? null : formatAddress(n.family, n.gateway), vlan: n.vlan, locations: n.locations, note: n.note}
  }
  const [pools] = await pool.query<any[]>('SELECT name, note, locations FROM ippool ORDER BY name')
  for (const p of pools) yield {type: 'pool', name: p.name, locations: parseJsonArray(p.locations), note: p.note}
  const [ranges] = await pool.query<any[]>(`${RANGE_SELECT} ORDER BY p.name, r.family, r.start_addr`)
  for (const r of ranges) {
    const range = toRangeRow(r)
    yield {type: 'range', pool: range.poolName, range: formatRange(range)}
  }
}

export function spaceCsvLine(r: SpaceRecord): string {
  const cells =
    r.type === 'network'
      ? ['network', r.cidr, r.name, r.gateway, r.vlan === null ? '' : String(r.vlan), r.locations.join(';'), r.note, '']
      : r.type === 'pool'
        ? ['pool', '', r.name, '', '', r.locations.join(';'), r.note, '']
        : ['range', '', r.pool, '', '', '', '', r.range]
  return `${cells.map((c) => csvField(c)).join(',')}\n`
}

export const SPACE_CSV_HEADER = `${NET_CSV_COLUMNS.join(',')}\n`

export interface SpaceImportResult {
  networks: number
  pools: number
  ranges: number
  skipped: number
  problems: {line: number; message: string}[]
}

class LineError extends Error {}

/** The format from the flag, else from the file's name, else from its first character. */
export async function detectFormat(file: string, given?: string): Promise<NetFormat> {
  if (given === 'csv' || given === 'jsonl') return given
  if (/\.(jsonl|ndjson|json)$/i.test(file)) return 'jsonl'
  if (/\.csv$/i.test(file)) return 'csv'
  let handle
  try {
    handle = await open(file, 'r')
  } catch (error) {
    throw notFound(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  try {
    const {buffer, bytesRead} = await handle.read(Buffer.alloc(256), 0, 256, 0)
    return buffer.subarray(0, bytesRead).toString('utf8').trimStart().startsWith('{') ? 'jsonl' : 'csv'
  } finally {
    await handle.close()
  }
}

async function* jsonRecords(file: string): AsyncGenerator<{line: number; value: Record<string, unknown> | Error}> {
  const rl = createInterface({input: createReadStream(file), crlfDelay: Infinity})
  let line = 0
  for await (const text of rl) {
    line++
    if (text.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      yield {line, value: new LineError('not a JSON object')}
      continue
    }
    yield {line, value: value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : new LineError('not a JSON object')}
  }
}

async function* csvRecords(file: string): AsyncGenerator<{line: number; value: Record<string, unknown> | Error}> {
  let columns: string[] = [...NET_CSV_COLUMNS]
  let first = true
  for await (const rec of readCsv(createReadStream(file))) {
    if (first) {
      first = false
      // A header names columns: it starts with "type" or holds it among known names (a data row starts with a record type).
      const names = rec.fields.map((f) => f.trim().toLowerCase())
      if (names[0] === 'type' || (names.includes('type') && !['network', 'pool', 'range'].includes(names[0]))) {
        columns = rec.fields.map((f) => f.trim().toLowerCase())
        const unknown = columns.filter((c) => !(NET_CSV_COLUMNS as readonly string[]).includes(c))
        if (unknown.length > 0) throw usage(`line ${rec.line}: unknown ${unknown.length === 1 ? 'column' : 'columns'} ${unknown.join(', ')}`, `columns: ${NET_CSV_COLUMNS.join(',')}`)
        continue
      }
    }
    if (rec.fields.length !== columns.length) {
      yield {line: rec.line, value: new LineError(`expected ${columns.length} columns (${columns.join(',')}), found ${rec.fields.length}`)}
      continue
    }
    const get = (name: string) => {
      const i = columns.indexOf(name)
      return i < 0 || rec.fields[i] === '' ? undefined : rec.fields[i]
    }
    const type = get('type')
    const locations = get('locations')?.split(';').map((l) => l.trim()).filter((l) => l !== '') ?? []
    const vlan = get('vlan')
    const value: Record<string, unknown> =
      type === 'range' ? {type, pool: get('name'), range: get('range')} : {type, cidr: get('cidr'), name: get('name'), gateway: get('gateway'), vlan: vlan === undefined ? undefined : /^\d+$/.test(vlan) ? Number(vlan) : vlan, locations, note: get('note')}
    yield {line: rec.line, value}
  }
}

const str = (v: unknown, field: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v !== 'string') throw new LineError(`${field} must be text`)
  return v
}

/** Wraps a domain check so that its message becomes the line's message. */
function check<T>(fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    if (error instanceof IpamError) throw new LineError(error.message)
    throw error
  }
}

async function importNetwork(tx: Tx, v: Record<string, unknown>) {
  const cidrText = str(v.cidr, 'cidr')
  if (!cidrText) throw new LineError('a network needs a cidr')
  const c = check(() => parseCidr(cidrText))
  const name = check(() => checkText('name', str(v.name, 'name'), 255))
  const note = check(() => checkText('note', str(v.note, 'note'), 4000, {multiline: true}))
  if (v.locations !== undefined && v.locations !== null && !Array.isArray(v.locations)) throw new LineError('locations must be a list')
  const locations = check(() => checkLocations((v.locations as unknown[] | undefined)?.map(String)))
  let vlan: number | null = null
  if (v.vlan !== undefined && v.vlan !== null && v.vlan !== '') {
    if (typeof v.vlan !== 'number' || !Number.isInteger(v.vlan) || v.vlan < 1 || v.vlan > 4094) throw new LineError(`VLAN ${JSON.stringify(v.vlan)} is out of range (1-4094)`)
    vlan = v.vlan
  }
  let gateway: bigint | null = null
  const g = str(v.gateway, 'gateway')
  if (g !== undefined) {
    const a = check(() => parseAddress(g, 'gateway'))
    if (a.family !== c.family) throw new LineError(`the gateway ${g} is not an IPv${c.family} address`)
    const why = unusableReason(c, a.value)
    if (why) throw new LineError(`the gateway ${formatAddress(a.family, a.value)} cannot be used: ${why}`)
    const [taken] = await tx.query<any[]>('SELECT status FROM ip WHERE family = ? AND addr = ?', [a.family, a.value])
    if (taken[0]) throw new LineError(`the gateway ${formatAddress(a.family, a.value)} is already ${taken[0].status}`)
    gateway = a.value
  }
  const cidr = formatCidr(c)
  const [dup] = await tx.query<any[]>('SELECT id FROM ipnet WHERE family = ? AND network = ? AND prefix = ?', [c.family, c.network, c.prefix])
  if (dup[0]) throw new LineError(`the network ${cidr} already exists`)
  const [res] = await tx.query<any>('INSERT INTO ipnet (family, network, broadcast, prefix, cidr, name, gateway, vlan, note, locations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
    c.family, c.network, c.broadcast, c.prefix, cidr, name ?? null, gateway, vlan, note ?? null, JSON.stringify(locations),
  ])
  await audit(tx, {action: 'networks.import', objectType: 'network', objectId: res.insertId, detail: {cidr, name: name ?? null, gateway: gateway === null ? null : formatAddress(c.family, gateway), vlan, locations, note: note ?? null}})
}

async function importPool(tx: Tx, v: Record<string, unknown>) {
  const name = check(() => checkWord('pool name', str(v.name, 'name'), 190))
  if (!name) throw new LineError('a pool needs a name')
  if (/^\d+$/.test(name)) throw new LineError(`a pool name cannot be a number ("${name}")`)
  const note = check(() => checkText('note', str(v.note, 'note'), 4000, {multiline: true}))
  if (v.locations !== undefined && v.locations !== null && !Array.isArray(v.locations)) throw new LineError('locations must be a list')
  const locations = check(() => checkLocations((v.locations as unknown[] | undefined)?.map(String)))
  const [dup] = await tx.query<any[]>('SELECT id FROM ippool WHERE name = ?', [name])
  if (dup[0]) throw new LineError(`a pool named "${name}" already exists`)
  const [res] = await tx.query<any>('INSERT INTO ippool (name, note, locations) VALUES (?, ?, ?)', [name, note ?? null, JSON.stringify(locations)])
  await audit(tx, {action: 'pools.import', objectType: 'pool', objectId: res.insertId, detail: {name, locations, note: note ?? null}})
}

async function importRange(tx: Tx, v: Record<string, unknown>) {
  const poolName = str(v.pool, 'pool')
  const text = str(v.range, 'range')
  if (!poolName || !text) throw new LineError('a range needs its pool and the range')
  const r = check(() => parseRange(text))
  const [pools] = await tx.query<any[]>('SELECT id, name FROM ippool WHERE name = ?', [poolName])
  if (!pools[0]) throw new LineError(`no pool "${poolName}" (in the database or earlier in the file)`)
  const [nets] = await tx.query<any[]>('SELECT id, cidr FROM ipnet WHERE family = ? AND network <= ? AND broadcast >= ? ORDER BY prefix DESC LIMIT 1', [r.family, r.start, r.end])
  if (!nets[0]) throw new LineError(`no network holds the whole range ${formatRange(r)}`)
  const [overlaps] = await tx.query<any[]>(`${RANGE_SELECT} WHERE r.family = ? AND r.start_addr <= ? AND r.end_addr >= ? LIMIT 1`, [r.family, r.end, r.start])
  if (overlaps[0]) {
    const o = toRangeRow(overlaps[0])
    throw new LineError(`${formatRange(r)} overlaps range ${formatRange(o)} of pool ${o.poolName}`)
  }
  const [res] = await tx.query<any>('INSERT INTO ippool_range (pool_id, ipnet_id, family, start_addr, end_addr) VALUES (?, ?, ?, ?, ?)', [pools[0].id, nets[0].id, r.family, r.start, r.end])
  await audit(tx, {action: 'ranges.import', objectType: 'range', objectId: res.insertId, detail: {pool: pools[0].name, range: formatRange(r), network: nets[0].cidr}})
}

/**
 * Imports networks, pools and ranges in file order, in one transaction: a bad
 * line stops the import with its number and nothing stays; with `skipInvalid`
 * bad lines are reported and skipped. A range may name a pool from earlier in
 * the file. `dryRun` checks everything and rolls back.
 */
export async function importSpace(pool: Pool, file: string, opts: {format?: string; skipInvalid?: boolean; dryRun?: boolean} = {}): Promise<SpaceImportResult & {dryRun: boolean}> {
  const format = await detectFormat(file, opts.format)
  const rollback = new Error('dry run')
  let outcome: SpaceImportResult | undefined
  try {
    return await withTransaction(pool, async (tx) => {
      // The same lock row as `ranges add`, so that overlap checks hold against concurrent adds.
      await tx.query("UPDATE ipam_locks SET version = version + 1 WHERE name = 'ranges'")
      const result: SpaceImportResult = {networks: 0, pools: 0, ranges: 0, skipped: 0, problems: []}
      const records = format === 'jsonl' ? jsonRecords(file) : csvRecords(file)
      try {
        for await (const {line, value} of records) {
          try {
            if (value instanceof Error) throw value
            const type = value.type
            // A savepoint per line: a line that fails halfway leaves nothing behind when skipped.
            await tx.query('SAVEPOINT line')
            if (type === 'network') await importNetwork(tx, value)
            else if (type === 'pool') await importPool(tx, value)
            else if (type === 'range') await importRange(tx, value)
            else throw new LineError(`unknown type ${JSON.stringify(type ?? null)} (network, pool or range)`)
            result[`${type}s` as 'networks' | 'pools' | 'ranges']++
          } catch (error) {
            if (!(error instanceof LineError)) throw error
            if (!opts.skipInvalid) throw usage(`line ${line}: ${error.message}`, 'nothing was imported; fix the line or pass --skip-invalid')
            await tx.query('ROLLBACK TO SAVEPOINT line').catch(() => undefined)
            result.skipped++
            if (result.problems.length < 1000) result.problems.push({line, message: error.message})
          }
        }
      } catch (error) {
        if (error instanceof IpamError) throw error
        const line = (error as {line?: number}).line
        if (line !== undefined) throw usage((error as Error).message, 'nothing was imported')
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw notFound(`cannot read ${file}: ${code}`)
        throw error
      }
      if (opts.dryRun) {
        outcome = result
        throw rollback
      }
      return {...result, dryRun: false}
    })
  } catch (error) {
    if (error === rollback && outcome) return {...outcome, dryRun: true}
    throw error
  }
}
