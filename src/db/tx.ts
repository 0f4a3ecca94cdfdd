import type {Pool, PoolConnection} from 'mysql2/promise'

import {IpamError} from '../errors.js'

/** A connection inside an open transaction. */
export type Tx = PoolConnection

const RETRYABLE = new Set([1213 /* ER_LOCK_DEADLOCK, also Galera certification failure */, 1205 /* ER_LOCK_WAIT_TIMEOUT */])

/**
 * ER_UNKNOWN_COM_ERROR, which is how a Galera node outside the Primary
 * component answers ("WSREP has not yet prepared node for application use"):
 * for a moment while the cluster evicts a dead node, a loaded survivor can say
 * so. Nothing was applied, so the transaction waits and runs again.
 */
const NODE_NOT_READY = 1047
const NOT_READY_WAIT_MS = 30_000

/**
 * The node left the Primary component in the middle of the transaction (seen
 * on a loaded survivor while the cluster evicted a killed node: "Error while
 * appending streaming replication fragment (provider status: Not connected to
 * Primary Component)"). The transaction was aborted, not committed.
 */
export function nodeNotReady(error: unknown): boolean {
  const e = error as {errno?: number; message?: string}
  return e?.errno === NODE_NOT_READY || /Not connected to Primary Component/i.test(e?.message ?? '')
}

export function isRetryable(error: unknown): boolean {
  return RETRYABLE.has((error as {errno?: number})?.errno ?? 0)
}

/** An error that makes withTransaction run the whole function again (a lost race that fresh data resolves). */
export function retryAgain(message: string, cause: unknown): Error {
  return Object.assign(new Error(message), {errno: 1213, cause})
}

export interface TransactionOptions {
  attempts?: number
  /** Called before each retry, for --verbose. */
  onRetry?: (attempt: number, error: unknown) => void
  /** A dry run: every statement and check runs, then everything is rolled back. */
  rollback?: boolean
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Runs `fn` in one transaction on one connection: it commits whole or leaves
 * nothing. A deadlock or lock-wait timeout (which is how a Galera cluster
 * reports a conflicting commit) runs the whole function again, with bounded
 * exponential backoff and jitter (20 attempts: on a 3-node Galera cluster with
 * 15 processes allocating from one pool, every commit but one per round fails
 * certification, and 10 attempts were seen to run out); `fn` must therefore
 * have no effects outside the database.
 */
export async function withTransaction<T>(pool: Pool, fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 20
  const notReadyUntil = Date.now() + NOT_READY_WAIT_MS
  for (let attempt = 1; ; attempt++) {
    const conn = await pool.getConnection()
    let began = false
    try {
      await conn.query('START TRANSACTION')
      began = true
      const result = await fn(conn)
      await conn.query(options.rollback ? 'ROLLBACK' : 'COMMIT')
      return result
    } catch (error) {
      if (began) await conn.query('ROLLBACK').catch(() => undefined)
      if (nodeNotReady(error) && Date.now() < notReadyUntil) {
        options.onRetry?.(attempt, error)
        attempt--
        await sleep(500)
        continue
      }
      if (!isRetryable(error)) throw error
      if (attempt >= attempts) {
        throw new IpamError('conflict', 'busy', `the database stayed busy: the change conflicted with others ${attempts} times and was not made`, {
          hint: 'nothing was changed; retrying the command is safe',
          cause: error,
        })
      }
      options.onRetry?.(attempt, error)
      const base = Math.min(1000, 10 * 2 ** attempt)
      await sleep(base / 2 + Math.random() * base)
    } finally {
      conn.release()
    }
  }
}
