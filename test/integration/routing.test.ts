import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Database, openDatabase} from '../../src/db/connect.js'
import {parseDbUrl} from '../../src/db/url.js'
import {MasterRouter} from '../../src/integration/routing.js'
import {masterUrlOf, storedMasterUrl} from '../../src/integration/state.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'

/** Writes the link a finished setup leaves on a platform, pointing at `master`. */
async function link(platform: TestDatabase, masterUrl: string, state: 'SETUP' | 'JOINED' = 'JOINED') {
  await platform.sql(
    "INSERT INTO ipam_integration (id, role, master_url, state) VALUES (1, 'PLATFORM', ?, ?) ON DUPLICATE KEY UPDATE master_url = VALUES(master_url), state = VALUES(state)",
    [storedMasterUrl(parseDbUrl(masterUrl)), state],
  )
}

describe('a session says where a command works', () => {
  let platform: TestDatabase
  let master: TestDatabase
  let other: TestDatabase
  let local: Database
  beforeAll(async () => {
    ;[platform, master, other] = await Promise.all([freshDatabase('route_platform'), freshDatabase('route_master'), freshDatabase('route_other')])
    local = await openDatabase(parseDbUrl(platform.url))
  })
  afterAll(async () => {
    await local.close()
    await Promise.all([platform.drop(), master.drop(), other.drop()])
  })

  it('follows a join, a change of master and a removal without being rebuilt', async () => {
    const router = new MasterRouter(local, {masterPassword: async () => undefined, passwordHint: 'hint'})
    try {
      const instance = async (db: Database) => (await db.pool.query<any[]>("SELECT value FROM ipam_settings WHERE name = 'instance-id'"))[0][0].value
      const [platformId, masterId, otherId] = await Promise.all([platform, master, other].map(async (d) => (await d.sql("SELECT value FROM ipam_settings WHERE name = 'instance-id'"))[0].value))

      const alone = await router.session()
      expect(alone.target).toBe(local)
      expect(alone.master).toBeUndefined()

      await link(platform, master.url)
      const joined = await router.session()
      expect(joined.local).toBe(local)
      expect(await instance(joined.target)).toBe(masterId)
      expect(joined.master).toContain(master.name)
      // the master's pool is kept while the master stays the same
      expect((await router.session()).target).toBe(joined.target)

      await link(platform, other.url)
      expect(await instance((await router.session()).target)).toBe(otherId)

      await platform.sql('DELETE FROM ipam_integration')
      const removed = await router.session()
      expect(removed.target).toBe(local)
      expect(await instance(removed.target)).toBe(platformId)
    } finally {
      await router.close()
    }
  })

  it('refuses while a join is unfinished, and names the command that finishes it', async () => {
    await link(platform, master.url, 'SETUP')
    const router = new MasterRouter(local, {masterPassword: async () => undefined, passwordHint: 'hint'})
    try {
      await expect(router.session()).rejects.toMatchObject({kind: 'unavailable', code: 'integration_unfinished', hint: expect.stringContaining('ipam integration setup')})
    } finally {
      await router.close()
      await platform.sql('DELETE FROM ipam_integration')
    }
  })

  it('keeps no password in the stored link, and asks for it before connecting when the master needs one', async () => {
    const stored = storedMasterUrl(parseDbUrl('mysql://ipam:S3cret%40x@db.example.test:3306/ipam'))
    expect(stored).not.toContain('S3cret')
    expect(masterUrlOf({masterUrl: stored})).toEqual({url: {user: 'ipam', hosts: [{host: 'db.example.test', port: 3306}], database: 'ipam'}, needsPassword: true})
    await platform.sql("INSERT INTO ipam_integration (id, role, master_url, state) VALUES (1, 'PLATFORM', ?, 'JOINED')", [stored])
    let asked = 0
    const router = new MasterRouter(local, {masterPassword: async () => (asked++, undefined), passwordHint: 'ipam config set master-password'})
    try {
      await expect(router.session()).rejects.toMatchObject({kind: 'unavailable', code: 'master_password_missing', message: expect.stringContaining('mysql://ipam:****@db.example.test:3306/ipam'), hint: 'ipam config set master-password'})
      expect(asked).toBe(1)
    } finally {
      await router.close()
      await platform.sql('DELETE FROM ipam_integration')
    }
  })
})
