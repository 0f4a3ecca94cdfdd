import {randomBytes} from 'node:crypto'
import mysql, {type Pool} from 'mysql2/promise'
import {inject} from 'vitest'

import {createAndMigrate} from '../../src/db/admin.js'
import {parseDbUrl} from '../../src/db/url.js'

export interface TestDatabase {
  name: string
  url: string
  pool: Pool
  /** Runs SQL as the documented operational statements would be run by hand. */
  sql<T = any>(statement: string, params?: unknown[]): Promise<T[]>
  drop(): Promise<void>
}

export function serverRootUrl(): string {
  return inject('serverRootUrl')
}

/** An empty database on the test server, optionally migrated. */
export async function freshDatabase(label: string, opts: {migrated?: boolean} = {}): Promise<TestDatabase> {
  const name = `t_${label.replace(/\W/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`
  const url = `${serverRootUrl()}${name}`
  const parsed = parseDbUrl(url)
  if (opts.migrated ?? true) await createAndMigrate(parsed)
  else {
    const admin = await mysql.createConnection({host: parsed.hosts[0].host, port: parsed.hosts[0].port, user: parsed.user, password: parsed.password})
    await admin.query(`CREATE DATABASE \`${name}\``)
    await admin.end()
  }
  return databaseHandle(url)
}

/** A pool and helpers for an existing database named by URL (on any server). */
export function databaseHandle(url: string): TestDatabase {
  const parsed = parseDbUrl(url)
  const name = parsed.database!
  const pool = mysql.createPool({host: parsed.hosts[0].host, port: parsed.hosts[0].port, user: parsed.user, password: parsed.password, database: name, connectionLimit: 4, supportBigNumbers: true, bigNumberStrings: true, dateStrings: true})
  return {
    name,
    url,
    pool,
    async sql(statement, params) {
      const [rows] = await pool.query(statement, params)
      return rows as any[]
    },
    async drop() {
      await pool.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await pool.end()
    },
  }
}
