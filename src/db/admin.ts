import type {Database} from './connect.js'
import {openDatabase} from './connect.js'
import {migrate, type MigrateOptions, type MigrateResult, schemaStatus, type SchemaStatus} from './schema.js'
import type {DbUrl} from './url.js'

/** Creates the URL's database when it is missing (the name was validated by parseDbUrl), then migrates. */
export async function createAndMigrate(url: DbUrl, opts: MigrateOptions = {}): Promise<MigrateResult & {node: string}> {
  if (url.database) {
    const server = await openDatabase(url, {withDatabase: false})
    try {
      await server.pool.query(`CREATE DATABASE IF NOT EXISTS \`${url.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
    } finally {
      await server.close()
    }
  }
  const db = await openDatabase(url)
  try {
    const result = await migrate(db.pool, opts)
    return {...result, node: db.node}
  } finally {
    await db.close()
  }
}

export async function status(db: Database): Promise<SchemaStatus> {
  return schemaStatus(db.pool)
}
