import {type Database, openDatabase} from '../db/connect.js'
import {parseDbUrl} from '../db/url.js'
import {connectionWait} from './progress.js'
import type {ListColumn} from './listing.js'

/** The columns of a table of join conflicts: a cell starts with its network or range, never cut; a pool name after it may be. */
const startsWithAddress = (cell: string) => cell.split(' ')[0].length
export const CONFLICT_COLUMNS: ListColumn[] = [{header: 'Conflict'}, {header: 'On this platform', shrink: true, keep: startsWithAddress}, {header: 'On the master', shrink: true, keep: startsWithAddress}]

/**
 * Opens the master named by --master; without a password in the URL, the one
 * the operator gives for masters (IPAM_MASTER_PASSWORD, else the profile's
 * master-password) is used.
 */
export async function openMaster(text: string, addSecret: (s: string | undefined) => void, masterPassword?: string, opts: {json?: boolean} = {}): Promise<Database> {
  const url = parseDbUrl(text)
  if (url.password === undefined && masterPassword !== undefined) url.password = masterPassword
  addSecret(url.password)
  const wait = connectionWait(opts)
  try {
    return await openDatabase(url, {onAttempt: (where) => wait.attempt(where)})
  } catch (error) {
    if (error instanceof Error) error.message = `the master: ${error.message}`
    throw error
  } finally {
    wait.stop()
  }
}
