import {type Database, openDatabase} from '../db/connect.js'
import {parseDbUrl} from '../db/url.js'

/** Opens the master named by --master; its password may come from IPAM_MASTER_PASSWORD instead of the URL. */
export async function openMaster(text: string, addSecret: (s: string | undefined) => void): Promise<Database> {
  const url = parseDbUrl(text)
  if (url.password === undefined && process.env.IPAM_MASTER_PASSWORD) url.password = process.env.IPAM_MASTER_PASSWORD
  addSecret(url.password)
  try {
    return await openDatabase(url)
  } catch (error) {
    if (error instanceof Error) error.message = `the master: ${error.message}`
    throw error
  }
}
