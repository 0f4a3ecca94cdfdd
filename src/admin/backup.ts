import {createHash} from 'node:crypto'
import {createReadStream, createWriteStream} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import {dirname} from 'node:path'
import {once} from 'node:events'
import {createInterface} from 'node:readline'
import {createGunzip, createGzip} from 'node:zlib'
import type {Pool, PoolConnection} from 'mysql2/promise'

import {partialFile} from '../interrupt.js'
import {databaseError, IpamError, notFound, usage} from '../errors.js'
import {backupSchemaReadable, LATEST_VERSION, schemaStatus} from '../db/schema.js'
import {type Tx, withTransaction} from '../db/tx.js'
import {audit} from './audit.js'
import {recomputeSummaries, withSummariesDeferred} from '../space/summaries.js'
import {streamRows, type Queryable} from '../db/query.js'
import type {OnProgress} from '../progress.js'

export const BACKUP_FORMAT = 'ipam-backup'
export const BACKUP_FORMAT_VERSION = 1

/** What a backup holds, in restore order (parents first). */
export const BACKUP_TABLES = ['ipam_settings', 'auth_user', 'ipnet', 'ippool', 'ippool_range', 'ip', 'ip_request'] as const
export type BackupTable = (typeof BACKUP_TABLES)[number]

/** Settings that describe this database itself, never copied from another. */
const LOCAL_SETTINGS = ['instance-id']

export interface BackupHeader {
  format: string
  formatVersion: number
  schemaVersion: number
  instanceId: string | null
  database: string | null
  createdAt: string
  counts: Record<BackupTable, number>
}

async function columnsOf(db: Pool | PoolConnection | Tx, table: string): Promise<string[]> {
  const [rows] = await db.query<any[]>(
    "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND (extra NOT LIKE '%GENERATED%' AND extra NOT LIKE '%VIRTUAL%' AND extra NOT LIKE '%PERSISTENT%' AND extra NOT LIKE '%STORED%') ORDER BY ordinal_position",
    [table],
  )
  return rows.map((r) => r.c)
}

const tableWhere = (t: BackupTable) => (t === 'ipam_settings' ? `WHERE name NOT IN (${LOCAL_SETTINGS.map(() => '?').join(', ')})` : '')
const tableParams = (t: BackupTable) => (t === 'ipam_settings' ? LOCAL_SETTINGS : [])

/** Rows between two progress reports while a table is copied or checked. */
const REPORT_EVERY = 1000

/** JSON columns come back parsed from MariaDB; a backup keeps their text. */
function cell(v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v)) return JSON.stringify(v)
  if (Buffer.isBuffer(v)) return v.toString('utf8')
  return v
}

/**
 * Writes the whole address space, requests, users and settings to a gzip
 * file of JSON lines: a header (no secrets: versions, instance id, counts),
 * the rows table by table from one consistent snapshot, and a trailer with
 * the SHA-256 of every line before it. Written to FILE.partial, then renamed,
 * so a crash never leaves a file that looks complete.
 */
export async function writeBackup(pool: Pool, file: string, opts: {database?: string; onProgress?: OnProgress} = {}): Promise<BackupHeader & {file: string; sha256: string}> {
  await mkdir(dirname(file), {recursive: true})
  const partial = partialFile(file)
  const conn = await pool.getConnection()
  try {
    await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ')
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT')
    const status = await schemaStatus(conn as unknown as Pool)
    opts.onProgress?.({stage: 'counting rows'})
    const counts = {} as Record<BackupTable, number>
    for (const t of BACKUP_TABLES) {
      const [rows] = await conn.query<any[]>(`SELECT COUNT(*) AS n FROM ${t} ${tableWhere(t)}`, tableParams(t))
      counts[t] = Number(rows[0].n)
    }
    const header: BackupHeader = {format: BACKUP_FORMAT, formatVersion: BACKUP_FORMAT_VERSION, schemaVersion: status.version, instanceId: status.instanceId ?? null, database: opts.database ?? null, createdAt: new Date().toISOString(), counts}
    const hash = createHash('sha256')
    const gzip = createGzip()
    const out = createWriteStream(partial.path, {mode: 0o600})
    gzip.pipe(out)
    const put = async (line: string) => {
      hash.update(line)
      hash.update('\n')
      if (!gzip.write(`${line}\n`)) await once(gzip, 'drain')
    }
    await put(JSON.stringify(header))
    for (const t of BACKUP_TABLES) {
      const columns = await columnsOf(conn, t)
      await put(JSON.stringify({table: t, columns}))
      const stream = streamRows(conn, {sql: `SELECT ${columns.map((c) => `\`${c}\``).join(', ')} FROM ${t} ${tableWhere(t)} ORDER BY 1`, values: tableParams(t), rowsAsArray: true})
      let done = 0
      opts.onProgress?.({stage: t, done, total: counts[t]})
      for await (const row of stream) {
        await put(JSON.stringify((row as unknown[]).map(cell)))
        if (++done % REPORT_EVERY === 0) opts.onProgress?.({stage: t, done, total: counts[t]})
      }
      opts.onProgress?.({stage: t, done, total: counts[t]})
    }
    const sha256 = hash.digest('hex')
    gzip.end(`${JSON.stringify({end: true, sha256})}\n`)
    await once(out, 'finish')
    await conn.query('COMMIT')
    await partial.commit()
    return {...header, file, sha256}
  } catch (error) {
    await partial.abort()
    throw error
  } finally {
    conn.release()
  }
}

type Line = {kind: 'header'; header: BackupHeader} | {kind: 'table'; table: BackupTable; columns: string[]} | {kind: 'row'; values: unknown[]} | {kind: 'end'; sha256: string}

async function* readLines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file)
  const gunzip = createGunzip()
  input.on('error', (e) => gunzip.destroy(e))
  const rl = createInterface({input: input.pipe(gunzip), crlfDelay: Infinity})
  for await (const line of rl) yield line
}

/**
 * The one reader of backup files: parses each line and checks, at the end,
 * that the trailer's checksum matches every line before it.
 */
async function* parseBackup(file: string): AsyncGenerator<Line> {
  const hash = createHash('sha256')
  let first = true
  let ended = false
  for await (const line of readLines(file)) {
    if (ended) throw corrupt(file, 'data after the end marker')
    let value: any
    try {
      value = JSON.parse(line)
    } catch {
      if (first) throw usage(`${file} is not an ipam backup`)
      throw corrupt(file, 'a line is not JSON')
    }
    if (value?.end === true && !first) {
      ended = true
      if (hash.digest('hex') !== String(value.sha256)) throw corrupt(file, 'its checksum does not match its content')
      yield {kind: 'end', sha256: String(value.sha256)}
      continue
    }
    hash.update(line)
    hash.update('\n')
    if (first) {
      first = false
      if (value?.format !== BACKUP_FORMAT) throw usage(`${file} is not an ipam backup`)
      yield {kind: 'header', header: value}
    } else if (Array.isArray(value)) yield {kind: 'row', values: value}
    else if (typeof value?.table === 'string' && Array.isArray(value.columns)) yield {kind: 'table', table: value.table, columns: value.columns}
    else throw corrupt(file, 'an unknown line')
  }
  if (first) throw usage(`${file} is empty`)
  if (!ended) throw corrupt(file, 'it has no end marker (truncated?)')
}

function corrupt(file: string, why: string): IpamError {
  return new IpamError('usage', 'corrupt_backup', `${file} is damaged: ${why}`, {hint: 'nothing was restored'})
}

/** Sum of a header's row counts (the rows a whole file holds), when the header has them. */
function totalRows(header: BackupHeader | undefined): number | undefined {
  const counts = Object.values(header?.counts ?? {}).map(Number)
  return counts.length > 0 && counts.every(Number.isFinite) ? counts.reduce((a, b) => a + b, 0) : undefined
}

/** Reads the whole file once: checks the trailer checksum and returns the header. */
export async function verifyBackup(file: string, opts: {onProgress?: OnProgress} = {}): Promise<BackupHeader & {sha256: string}> {
  let header: BackupHeader | undefined
  let sha = ''
  let done = 0
  const report = () => opts.onProgress?.({stage: 'checking', done, total: totalRows(header)})
  try {
    for await (const line of parseBackup(file)) {
      if (line.kind === 'header') {
        header = line.header
        report()
      } else if (line.kind === 'end') sha = line.sha256
      else if (line.kind === 'row' && ++done % REPORT_EVERY === 0) report()
    }
    report()
  } catch (error) {
    if (error instanceof IpamError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw notFound(`cannot read ${file}: ${code}`)
    throw corrupt(file, `it cannot be read (${(error as Error).message})`)
  }
  if (!header) throw usage(`${file} is empty`)
  if (header.formatVersion !== BACKUP_FORMAT_VERSION) throw usage(`${file} has backup format ${header.formatVersion}; this ipam reads ${BACKUP_FORMAT_VERSION}`)
  if (!backupSchemaReadable(header.schemaVersion)) {
    throw databaseError('schema_mismatch', `${file} was written at schema version ${header.schemaVersion}; this database is at ${LATEST_VERSION}`, 'restore it with the ipam version that wrote it, then migrate')
  }
  return {...header, sha256: sha}
}

export async function addressSpaceCounts(db: Queryable): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const t of ['ip', 'ippool_range', 'ippool', 'ipnet', 'ip_request', 'auth_user']) {
    const [rows] = await db.query<any[]>(`SELECT COUNT(*) AS n FROM ${t}`)
    out[t] = Number(rows[0].n)
  }
  return out
}

/**
 * Replaces the address space, requests, users and settings with the backup's,
 * in one transaction: all of it or nothing. Row ids are kept, so references
 * between tables hold and a second backup reads the same.
 */
export async function restoreBackup(pool: Pool, file: string, opts: {onProgress?: OnProgress} = {}): Promise<{counts: Record<string, number>}> {
  const header = await verifyBackup(file, opts)
  // The summaries are recomputed once at the end (restore replaces nearly every address) instead of by the triggers a row at a time.
  return withTransaction(pool, (tx) => withSummariesDeferred(tx, async () => {
    opts.onProgress?.({stage: 'deleting the current data'})
    for (const t of [...BACKUP_TABLES].reverse()) {
      if (t === 'ipam_settings') await tx.query(`DELETE FROM ipam_settings WHERE name NOT IN (${LOCAL_SETTINGS.map(() => '?').join(', ')})`, LOCAL_SETTINGS)
      else await tx.query(`DELETE FROM ${t}`)
    }
    const known = new Map<string, Set<string>>()
    for (const t of BACKUP_TABLES) known.set(t, new Set(await columnsOf(tx, t)))
    const counts: Record<string, number> = {}
    let table: BackupTable | undefined
    let columns: string[] = []
    let batch: unknown[][] = []
    const flush = async () => {
      if (!table || batch.length === 0) return
      await tx.query(`INSERT INTO ${table} (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES ?`, [batch])
      counts[table] = (counts[table] ?? 0) + batch.length
      batch = []
      report()
    }
    const report = () => {
      if (table) opts.onProgress?.({stage: table, done: counts[table], total: header.counts[table]})
    }
    for await (const line of parseBackup(file)) {
      if (line.kind === 'table') {
        await flush()
        if (!(BACKUP_TABLES as readonly string[]).includes(line.table)) throw corrupt(file, `unknown table ${line.table}`)
        const cols = known.get(line.table)!
        // Identifiers come from the file: only this database's own column names are accepted.
        for (const c of line.columns) if (!cols.has(c)) throw corrupt(file, `unknown column ${line.table}.${c}`)
        table = line.table
        columns = line.columns
        counts[table] = 0
        report()
      } else if (line.kind === 'row') {
        if (!table || line.values.length !== columns.length) throw corrupt(file, 'a row does not fit its table')
        if (table === 'ipam_settings' && LOCAL_SETTINGS.includes(String(line.values[columns.indexOf('name')]))) continue
        batch.push(line.values)
        if (batch.length >= 1000) await flush()
      }
    }
    await flush()
    await recomputeSummaries(tx)
    await audit(tx, {action: 'restore', objectType: 'database', objectId: null, detail: {file: file.slice(-200), counts}})
    return {counts}
  }), {attempts: 3})
}
