import type {Pool} from 'mysql2/promise'
import type {Readable} from 'node:stream'

import type {Tx} from './tx.js'

/** What a domain function queries: the pool, or the connection of an open transaction. */
export type Queryable = Pool | Tx

export interface StreamQuery {
  sql: string
  values?: unknown[]
  /** Rows as arrays of cells instead of objects (backups). */
  rowsAsArray?: boolean
}

/**
 * A query's rows as a stream, read as they arrive, so that millions of rows
 * take flat memory. mysql2's promise wrappers have no streaming: it runs on
 * the callback object underneath (a pool's `pool`, a connection's `connection`).
 */
export function streamRows(db: Queryable, query: StreamQuery, highWaterMark = 1000): AsyncIterable<any> {
  const inner = (db as unknown as {connection?: unknown}).connection ?? (db as unknown as {pool: unknown}).pool
  return (inner as {query(q: StreamQuery): {stream(o: {highWaterMark: number}): Readable}}).query(query).stream({highWaterMark})
}

export interface AddressHolder {
  status: string
  assignedTo: string | null
}

/** Who holds an address (its `ip` row), or undefined when it is free; `forUpdate` locks the row. */
export async function addressHolder(db: Queryable, family: number, value: bigint, opts: {forUpdate?: boolean} = {}): Promise<AddressHolder | undefined> {
  const [rows] = await db.query<any[]>(`SELECT status, assigned_to FROM ip WHERE family = ? AND addr = ?${opts.forUpdate ? ' FOR UPDATE' : ''}`, [family, value])
  return rows[0] ? {status: rows[0].status, assignedTo: rows[0].assigned_to ?? null} : undefined
}

/** "USED to bob", "RESERVED": how messages name a holder. */
export const heldAs = (h: AddressHolder): string => `${h.status}${h.assignedTo ? ` to ${h.assignedTo}` : ''}`
