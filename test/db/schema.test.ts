import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {backupSchemaReadable, LATEST_VERSION, migrate} from '../../src/db/schema.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'

describe("migration 2: the master's password leaves the database", () => {
  let db: TestDatabase
  const stored = JSON.stringify({user: 'ipam', password: 'S3cret!', hosts: [{host: 'master.example.test', port: 3306}], database: 'ipam'})
  const link = () => db.sql('SELECT master_url FROM ipam_integration').then((rows) => JSON.parse(rows[0].master_url))
  beforeAll(async () => {
    db = await freshDatabase('schema_v2')
  })
  afterAll(async () => db.drop())
  const olderIpam = async () => {
    await db.sql("INSERT INTO ipam_integration (id, role, master_url, state) VALUES (1, 'PLATFORM', ?, 'JOINED') ON DUPLICATE KEY UPDATE master_url = VALUES(master_url)", [stored])
    await db.sql('DELETE FROM ipam_migrations WHERE version > 1')
  }

  it('strips nothing when the secret cannot be kept elsewhere', async () => {
    await olderIpam()
    await expect(migrate(db.pool, {onSecret: async () => Promise.reject(new Error('profile not writable'))})).rejects.toThrow('profile not writable')
    expect((await link()).password).toBe('S3cret!')
  })

  it('hands the password to the caller, then removes it, keeping the rest of the URL', async () => {
    await olderIpam()
    const handed: string[] = []
    const result = await migrate(db.pool, {onSecret: async (s) => (handed.push(s.value), 'the profile')})
    expect(handed).toEqual(['S3cret!'])
    expect(result.secretsMoved).toEqual([{kind: 'master-password', where: 'the profile'}])
    expect(result.status.version).toBe(LATEST_VERSION)
    expect(await link()).toEqual({user: 'ipam', hosts: [{host: 'master.example.test', port: 3306}], database: 'ipam', needsPassword: 1})
    expect((await migrate(db.pool, {onSecret: async () => 'again'})).secretsMoved).toEqual([])
  })

  it('leaves backups written before it restorable (it changes nothing a backup holds)', () => {
    expect(backupSchemaReadable(1)).toBe(true)
    expect(backupSchemaReadable(LATEST_VERSION)).toBe(true)
    expect(backupSchemaReadable(0)).toBe(false)
    expect(backupSchemaReadable(LATEST_VERSION + 1)).toBe(false)
  })
})
