import {join} from 'node:path'

/** Where backups go when no file is named: the user's data dir, by database and time. */
export function defaultBackupPath(dataDir: string, database: string | undefined, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z')
  return join(dataDir, 'backups', `${database ?? 'ipam'}-${stamp}.ipam-backup.gz`)
}
