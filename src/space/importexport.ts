import {createReadStream} from 'node:fs'
import type {Readable} from 'node:stream'
import type {Pool} from 'mysql2/promise'

import {audit, RunBuilder} from '../admin/audit.js'
import {IpamError, notFound, usage} from '../errors.js'
import {withTransaction} from '../db/tx.js'
import {formatAddress, parseAddress, unusableReason, type Family} from '../net/ip.js'
import {quote} from '../text.js'
import {checkFields, listAddresses, type AddressView} from './addresses.js'
import {csvField, readCsv} from './csv.js'
import {NetworkIndex} from './netindex.js'
import {insertAddressRows} from './summaries.js'
import type {OnProgress} from '../progress.js'

export const CSV_COLUMNS = ['address', 'status', 'assigned_to', 'assign_type', 'description', 'hostname', 'mac'] as const
/** The columns before hostname and MAC were added: such files still import, with or without a header. */
const OLD_CSV_COLUMNS = CSV_COLUMNS.slice(0, 5)
/**
 * Rows a multi-row INSERT takes at most, and the bytes of CSV behind them: larger
 * statements cost the server less a row (10,000 imported ~25% faster than 2,000
 * here), and the byte cap keeps one well inside the smallest default
 * max_allowed_packet (4 MiB on MySQL 5.7) whatever the descriptions' length
 * (a character is at most 4 bytes in UTF-8).
 */
const BATCH = 10_000
const BATCH_BYTES = 1024 * 1024

export interface ImportProblem {
  line: number
  message: string
}

export interface ImportResult {
  imported: number
  skipped: number
  problems: ImportProblem[]
}

class RowError extends Error {}

const columnName = (field: string) => field.trim().toLowerCase().replace(/[\s-]+/g, '_')

/**
 * The columns a CSV's first line names, when it is a header: a line holding a
 * column name and no address. Any order and any subset that includes
 * `address`; an unknown or repeated name is refused, naming it. Not a header:
 * undefined (the line is data in the documented column order).
 */
export function csvHeaderColumns(fields: string[], line = 1): string[] | undefined {
  const names = fields.map(columnName)
  const known = CSV_COLUMNS as readonly string[]
  if (!names.some((n) => known.includes(n))) return undefined
  if (fields.some((f) => isAddress(f))) return undefined
  const hint = `a header names some of ${CSV_COLUMNS.join(',')} in any order, address among them`
  const unknown = fields.filter((_f, i) => !known.includes(names[i]))
  if (unknown.length > 0) throw usage(`line ${line}: unknown ${unknown.length === 1 ? 'column' : 'columns'} ${unknown.map((u) => quote(u)).join(', ')} in the header`, hint)
  const repeated = names.filter((n, i) => names.indexOf(n) !== i)
  if (repeated.length > 0) throw usage(`line ${line}: the header names ${[...new Set(repeated)].map((r) => quote(r)).join(', ')} more than once`, hint)
  if (!names.includes('address')) throw usage(`line ${line}: the header has no address column`, hint)
  return names
}

function isAddress(text: string): boolean {
  try {
    parseAddress(text)
    return true
  } catch {
    return false
  }
}

/**
 * Imports a CSV of addresses in one transaction: every row is checked (address,
 * a network holding it, usable, status, fields, not already taken) and a bad
 * row stops the import with its line number, leaving nothing of it behind;
 * with `skipInvalid` bad rows are reported and skipped.
 */
export async function importAddresses(pool: Pool, file: string, opts: {skipInvalid?: boolean; onProgress?: OnProgress; dryRun?: boolean; input?: Readable} = {}): Promise<ImportResult> {
  if (!opts.input) try {
    await new Promise<void>((resolve, reject) => {
      const s = createReadStream(file)
      s.once('open', () => {
        s.destroy()
        resolve()
      })
      s.once('error', reject)
    })
  } catch (error) {
    throw notFound(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  return withTransaction(pool, async (tx) => {
    const index = await NetworkIndex.load(tx)
    const result: ImportResult = {imported: 0, skipped: 0, problems: []}
    let columns: string[] | undefined
    const touched = new RunBuilder()
    let first = true
    let batchBytes = 0
    let batch: {line: number; family: Family; value: bigint; row: unknown[]}[] = []

    const fail = (line: number, message: string) => {
      if (!opts.skipInvalid) throw usage(`line ${line}: ${message}`, 'nothing was imported; fix the line or pass --skip-invalid')
      result.skipped++
      if (result.problems.length < 1000) result.problems.push({line, message})
    }

    let inFlight: Promise<void> | undefined
    const insertBatch = async (rows: typeof batch) => {
      try {
        await insertAddressRows(tx, 'family, addr, status, assigned_to, assign_type, description, hostname, mac', rows.map((b) => b.row))
      } catch (error) {
        if ((error as {errno?: number}).errno !== 1062) throw error
        const m = /Duplicate entry '(\d+)-(\d+)'/.exec((error as Error).message)
        // Twice in this batch: the second is the duplicate; once: it clashes with the database or an earlier batch.
        const matches = m ? rows.filter((b) => b.family === Number(m[1]) && b.value === BigInt(m[2])) : []
        const hit = matches.length > 1 ? matches[1] : matches[0]
        throw usage(`line ${hit?.line ?? '?'}: ${hit ? formatAddress(hit.family, hit.value) : 'an address'} is already allocated (in the database or earlier in the file)`, 'nothing was imported')
      }
    }

    const flush = async () => {
      if (batch.length === 0) return
      let rows = batch
      if (opts.skipInvalid) {
        // Known duplicates are skipped up front so that the insert cannot fail on them.
        const seen = new Set<string>()
        const keep: typeof batch = []
        const byFamily = new Map<Family, bigint[]>()
        for (const b of rows) byFamily.set(b.family, [...(byFamily.get(b.family) ?? []), b.value])
        const taken = new Set<string>()
        for (const [family, values] of byFamily) {
          const [existing] = await tx.query<any[]>('SELECT addr FROM ip WHERE family = ? AND addr IN (?)', [family, values])
          for (const e of existing) taken.add(`${family}-${e.addr}`)
        }
        for (const b of rows) {
          const key = `${b.family}-${b.value}`
          if (taken.has(key) || seen.has(key)) fail(b.line, `${formatAddress(b.family, b.value)} is already allocated (in the database or earlier in the file)`)
          else {
            seen.add(key)
            keep.push(b)
          }
        }
        rows = keep
      }
      if (rows.length > 0) {
        // One batch is inserted while the next is parsed and checked: the server's
        // time and ours overlap instead of adding up. Its error surfaces at the next
        // batch or at the end.
        if (inFlight) await inFlight
        for (const b of rows) touched.add(b.family, b.value)
        inFlight = insertBatch(rows)
        inFlight.catch(() => undefined)
      }
      result.imported += rows.length
      batch = []
      batchBytes = 0
      opts.onProgress?.({done: result.imported})
    }

    let records: AsyncGenerator<{line: number; fields: string[]}>
    try {
      records = readCsv(opts.input ?? createReadStream(file))
    } catch (error) {
      throw notFound(`cannot read ${file}: ${(error as Error).message}`)
    }
    try {
      for await (const rec of records) {
        if (first) {
          first = false
          const header = csvHeaderColumns(rec.fields, rec.line)
          if (header) {
            columns = header
            continue
          }
        }
        try {
          const cols: readonly string[] = columns ?? (rec.fields.length === OLD_CSV_COLUMNS.length ? OLD_CSV_COLUMNS : CSV_COLUMNS)
          if (rec.fields.length !== cols.length) {
            const expected = columns ? `${cols.length} columns (${cols.join(',')})` : `${OLD_CSV_COLUMNS.length} columns (${OLD_CSV_COLUMNS.join(',')}) or ${CSV_COLUMNS.length} (…,hostname,mac)`
            throw new RowError(`expected ${expected}, found ${rec.fields.length}`)
          }
          const get = (name: string) => {
            const i = cols.indexOf(name)
            return i < 0 || rec.fields[i] === '' ? undefined : rec.fields[i]
          }
          let a
          try {
            a = parseAddress(get('address') ?? '')
          } catch (error) {
            throw new RowError((error as Error).message)
          }
          const net = index.find(a.family, a.value)
          if (!net) throw new RowError(`no network contains ${formatAddress(a.family, a.value)}`)
          const why = unusableReason({family: a.family, network: net.network, broadcast: net.broadcast, prefix: net.prefix}, a.value)
          if (why) throw new RowError(`${formatAddress(a.family, a.value)} cannot be allocated: ${why}`)
          let f
          try {
            f = checkFields({status: get('status'), assignedTo: get('assigned_to'), assignType: get('assign_type'), description: get('description'), hostname: get('hostname'), mac: get('mac')})
          } catch (error) {
            throw new RowError((error as Error).message)
          }
          batch.push({line: rec.line, family: a.family, value: a.value, row: [a.family, a.value, f.status, f.assignedTo, f.assignType, f.description, f.hostname, f.mac]})
          for (const field of rec.fields) batchBytes += field.length + 8
        } catch (error) {
          if (!(error instanceof RowError)) throw error
          fail(rec.line, error.message)
        }
        if (batch.length >= BATCH || batchBytes >= BATCH_BYTES) await flush()
      }
    } catch (error) {
      if (error instanceof IpamError) throw error
      const line = (error as {line?: number}).line
      if (line !== undefined) throw usage((error as Error).message, 'nothing was imported')
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EACCES' || (error as NodeJS.ErrnoException).code === 'EISDIR') {
        throw notFound(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`)
      }
      throw error
    }
    await flush()
    if (inFlight) await inFlight
    await audit(tx, {action: 'ips.import', objectType: 'file', objectId: file.slice(-128), detail: {imported: result.imported, skipped: result.skipped}, spans: touched.runs()})
    return result
    // A stream (stdin) cannot be read twice: a lost race fails as busy rather than retrying on nothing.
  }, {rollback: opts.dryRun, attempts: opts.input ? 1 : undefined})
}

export function csvLine(a: AddressView): string {
  return `${[a.address, a.status, a.assignedTo, a.assignType, a.description, a.hostname, a.mac].map((v) => csvField(v)).join(',')}\n`
}

export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\n`

export function exportAddresses(pool: Pool, filter: {network?: string; pool?: string; status?: string} = {}): AsyncGenerator<AddressView> {
  return listAddresses(pool, filter)
}
