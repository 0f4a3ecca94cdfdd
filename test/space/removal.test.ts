import {Readable} from 'node:stream'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Progress} from '../../src/progress.js'
import {importAddresses} from '../../src/space/importexport.js'
import {addNetwork, planNetworkRemoval, removeNetwork} from '../../src/space/networks.js'
import {addPool, planPoolRemoval, removePool} from '../../src/space/pools.js'
import {addRange} from '../../src/space/ranges.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {expectSummariesTrue} from '../support/summaries.js'

/** 10.40.0.1 … 10.40.97.168: 25,000 addresses (more than two chunks of deletion). */
const ADDRESSES = Array.from({length: 25_000}, (_, i) => `10.40.${(i + 1) >> 8}.${(i + 1) & 255}`)

async function load(db: TestDatabase, addresses: string[]) {
  const csv = `address,status\n${addresses.map((a) => `${a},ALLOCATED`).join('\n')}\n`
  const result = await importAddresses(db.pool, 'test.csv', {input: Readable.from([csv])})
  expect(result.imported).toBe(addresses.length)
}

const remaining = async (db: TestDatabase) => (await db.sql('SELECT INET_NTOA(addr) AS a FROM ip WHERE family = 4 ORDER BY addr')).map((r: any) => r.a)

describe('removing many addresses with progress reported', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase('removal_progress')
  })
  afterAll(async () => {
    await db.drop()
  })

  it('networks remove deletes in chunks exactly the addresses only that network holds, counting up to the plan', async () => {
    await addNetwork(db.pool, {cidr: '10.40.0.0/16'})
    // a child network in the middle: its addresses stay, and split the parent's into two runs
    await addNetwork(db.pool, {cidr: '10.40.50.0/24'})
    const inChild = ADDRESSES.filter((a) => a.startsWith('10.40.50.') && a !== '10.40.50.0' && a !== '10.40.50.255')
    await load(db, ADDRESSES.filter((a) => !a.startsWith('10.40.50.') || inChild.includes(a)))
    const plan = await planNetworkRemoval(db.pool, '10.40.0.0/16')
    const reports: Progress[] = []
    const result = await removeNetwork(db.pool, plan.network.id, plan, {onProgress: (p) => reports.push({...p})})
    expect(result.addresses).toBe(plan.addresses)
    expect(await remaining(db)).toEqual(inChild)
    await expectSummariesTrue(db)
    const done = reports.map((r) => r.done)
    expect(done[0]).toBe(0)
    expect(done.at(-1)).toBe(plan.addresses)
    expect(done).toEqual([...done].sort((a, b) => a! - b!))
    // chunks of 10,000 over two runs: more than one report between start and end
    expect(reports.length).toBeGreaterThanOrEqual(4)
    expect(reports.every((r) => r.total === plan.addresses && r.unit === 'addresses' && r.stage === 'deleting')).toBe(true)
  })

  it('pools remove deletes in chunks exactly the addresses in its ranges; addresses outside them stay', async () => {
    await db.sql('DELETE FROM ip')
    await db.sql('DELETE FROM ipnet')
    await addNetwork(db.pool, {cidr: '10.40.0.0/16'})
    await addPool(db.pool, {name: 'wide'})
    await addRange(db.pool, 'wide', '10.40.0.0-10.40.39.255')
    await addRange(db.pool, 'wide', '10.40.60.0-10.40.97.255')
    await load(db, ADDRESSES)
    const outside = ADDRESSES.filter((a) => {
      const third = Number(a.split('.')[2])
      return third >= 40 && third < 60
    })
    const plan = await planPoolRemoval(db.pool, 'wide')
    expect(plan.addresses).toBe(ADDRESSES.length - outside.length)
    const reports: Progress[] = []
    await removePool(db.pool, plan.pool.id, plan, {onProgress: (p) => reports.push({...p})})
    expect(await remaining(db)).toEqual(outside)
    await expectSummariesTrue(db)
    expect(reports.at(-1)?.done).toBe(plan.addresses)
    expect(reports.length).toBeGreaterThanOrEqual(4)
  })

  it('without progress, one statement a run deletes the same, and both summaries follow (a large removal and a small one)', async () => {
    await db.sql('DELETE FROM ip')
    await db.sql('DELETE FROM ippool')
    await db.sql('DELETE FROM ipnet')
    await addNetwork(db.pool, {cidr: '10.40.0.0/16'})
    await addNetwork(db.pool, {cidr: '10.40.50.0/24'})
    await addNetwork(db.pool, {cidr: '10.41.0.0/26'})
    await load(db, [...ADDRESSES.filter((a) => !/^10\.40\.50\.(0|255)$/.test(a)), ...Array.from({length: 14}, (_, i) => `10.41.0.${i + 1}`)])
    // a removal of fewer addresses than it takes to turn the triggers off: they count it
    const small = await planNetworkRemoval(db.pool, '10.41.0.0/26')
    expect(small.addresses).toBe(14)
    await removeNetwork(db.pool, small.network.id, small)
    await expectSummariesTrue(db)
    const plan = await planNetworkRemoval(db.pool, '10.40.0.0/16')
    await removeNetwork(db.pool, plan.network.id, plan)
    expect(plan.addresses).toBe(ADDRESSES.length - 256)
    expect((await remaining(db)).every((a: string) => a.startsWith('10.40.50.'))).toBe(true)
    await expectSummariesTrue(db)
  })
})
