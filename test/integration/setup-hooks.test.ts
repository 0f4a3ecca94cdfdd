import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createUser} from '../../src/admin/users.js'
import {type Database, openDatabase} from '../../src/db/connect.js'
import {parseDbUrl} from '../../src/db/url.js'
import {type CnameResolver, refuseCnames} from '../../src/integration/dns.js'
import {preflight, runSetup} from '../../src/integration/setup.js'
import {addNetwork} from '../../src/space/networks.js'
import {addPool} from '../../src/space/pools.js'
import {addRange} from '../../src/space/ranges.js'
import {crashAfterStepHook, withCnameOverrides} from '../../src/test-hooks.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'

describe('the CNAME check takes its resolver', () => {
  const asked: string[] = []
  const resolver: CnameResolver = async (host) => {
    asked.push(host)
    return host === 'alias.example.test' ? ['db7.example.test'] : []
  }

  it('refuses a master host that is an alias, naming the real host, and never looks up IP literals or localhost', async () => {
    asked.length = 0
    await expect(refuseCnames(parseDbUrl('mysql://ipam@alias.example.test:3306/ipam'), resolver)).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringContaining('alias.example.test is a DNS alias (CNAME for db7.example.test)'),
      hint: expect.stringContaining('db7.example.test:3306/ipam'),
    })
    await expect(refuseCnames(parseDbUrl('mysql://ipam@real.example.test:3306/ipam'), resolver)).resolves.toBeUndefined()
    await expect(refuseCnames(parseDbUrl('mysql://ipam@127.0.0.1:3306/ipam'), resolver)).resolves.toBeUndefined()
    await expect(refuseCnames(parseDbUrl('mysql://ipam@localhost:3306/ipam'), resolver)).resolves.toBeUndefined()
    expect(asked).toEqual(['alias.example.test', 'real.example.test'])
  })

  it('the test hook answers from IPAM_DNS_CNAME_OVERRIDES first and passes other hosts on; unset or unparseable, it is the resolver itself', async () => {
    const env = {IPAM_DNS_CNAME_OVERRIDES: JSON.stringify({'ipam-master.example.test': 'db7.example.test'})}
    const hooked = withCnameOverrides(resolver, env)
    expect(await hooked('ipam-master.example.test')).toEqual(['db7.example.test'])
    expect(await hooked('alias.example.test')).toEqual(['db7.example.test'])
    expect(await hooked('toString')).toEqual([])
    expect(withCnameOverrides(resolver, {})).toBe(resolver)
    expect(withCnameOverrides(resolver, {IPAM_DNS_CNAME_OVERRIDES: '{not json'})).toBe(resolver)
    expect(crashAfterStepHook({})).toBeUndefined()
    expect(crashAfterStepHook({IPAM_TEST_CRASH_AFTER_STEP: '2'})).toBeTypeOf('function')
  })
})

describe('integration setup stopped after each step by its afterStep callback finishes on the next run', () => {
  let platformDb: TestDatabase
  let masterDb: TestDatabase
  let platform: Database
  let master: Database
  const dir = mkdtempSync(join(tmpdir(), 'ipam-setup-hooks-'))
  beforeAll(async () => {
    ;[platformDb, masterDb] = await Promise.all([freshDatabase('hooks_platform'), freshDatabase('hooks_master')])
    ;[platform, master] = await Promise.all([openDatabase(parseDbUrl(platformDb.url)), openDatabase(parseDbUrl(masterDb.url))])
    await createUser(master.pool, {email: 'admin@example.com', password: 'master-admin-pw', admin: true})
  })
  afterAll(async () => {
    await Promise.all([platform?.close(), master?.close()])
    await Promise.all([platformDb?.drop(), masterDb?.drop()])
  })

  const count = async (db: TestDatabase, table: string) => Number((await db.sql(`SELECT COUNT(*) AS n FROM ${table}`))[0].n)

  it.each([1, 2, 3, 4])('stopped after step %i', async (step) => {
    // a clean pair for each case: nothing on the master, a small address space on the platform
    await masterDb.sql('DELETE FROM ipam_platforms')
    for (const db of [platformDb, masterDb]) {
      await db.sql('DELETE FROM ipam_integration')
      for (const t of ['ippool_range', 'ippool', 'ipnet']) await db.sql(`DELETE FROM ${t}`)
    }
    await addNetwork(platform.pool, {cidr: `10.${40 + step}.0.0/24`})
    await addPool(platform.pool, {name: `pool-${step}`})
    await addRange(platform.pool, `pool-${step}`, `10.${40 + step}.0.10-10.${40 + step}.0.20`)

    const input = {email: 'admin@example.com', password: 'master-admin-pw'}
    const steps: number[] = []
    const stop = new Error(`stopped after step ${step}`)
    const first = await preflight(platform, master, input)
    expect(first.conflicts).toEqual([])
    await expect(
      runSetup(platform, master, first, {
        email: input.email,
        backupFile: join(dir, `first-${step}.sql`),
        afterStep: (n) => {
          steps.push(n)
          if (n === step) throw stop
        },
      }),
    ).rejects.toBe(stop)
    expect(steps).toEqual(Array.from({length: step}, (_, i) => i + 1))

    const again = await preflight(platform, master, input)
    const done: number[] = []
    const result = await runSetup(platform, master, again, {email: input.email, backupFile: join(dir, `again-${step}.sql`), afterStep: (n) => void done.push(n)})
    expect(result.alreadyJoined).toBe(step === 4)
    // everything on the master exactly once, nothing left on the platform, the platform joined
    expect(await masterDb.sql('SELECT cidr FROM ipnet')).toEqual([{cidr: `10.${40 + step}.0.0/24`}])
    expect(await masterDb.sql('SELECT name FROM ippool')).toEqual([{name: `pool-${step}`}])
    expect(await count(masterDb, 'ippool_range')).toBe(1)
    for (const t of ['ipnet', 'ippool', 'ippool_range']) expect(await count(platformDb, t), t).toBe(0)
    expect(await platformDb.sql('SELECT state FROM ipam_integration')).toEqual([{state: 'JOINED'}])
  })
})
