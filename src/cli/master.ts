import {type Database, openDatabase} from '../db/connect.js'
import {parseDbUrl} from '../db/url.js'

/**
 * Opens the master named by --master; without a password in the URL, the one
 * the operator gives for masters (IPAM_MASTER_PASSWORD, else the profile's
 * master-password) is used.
 */
export async function openMaster(text: string, addSecret: (s: string | undefined) => void, masterPassword?: string): Promise<Database> {
  const url = parseDbUrl(text)
  if (url.password === undefined && masterPassword !== undefined) url.password = masterPassword
  addSecret(url.password)
  try {
    return await openDatabase(url)
  } catch (error) {
    if (error instanceof Error) error.message = `the master: ${error.message}`
    throw error
  }
}
