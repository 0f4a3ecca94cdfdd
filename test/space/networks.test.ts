import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {allocate} from '../../src/space/addresses.js'
import {addNetwork} from '../../src/space/networks.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {refusal} from '../support/refusal.js'

describe('a network its gateway would leave without a usable address', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase('gateway_only')
  })
  afterAll(async () => {
    await db.drop()
  })

  it('a /32 or /128 whose only address is the gateway is refused as a usage error, and nothing is added', async () => {
    for (const [cidr, gateway] of [['192.0.2.7/32', '192.0.2.7'], ['2001:db8::7/128', '2001:db8::7']]) {
      const e = await refusal(addNetwork(db.pool, {cidr, gateway}))
      expect(e.kind, cidr).toBe('usage')
      expect(e.message).toBe(`${cidr} with gateway ${gateway} would have no usable address: its only address is the gateway`)
    }
    expect(await db.sql('SELECT COUNT(*) AS n FROM ipnet')).toEqual([{n: '0'}])
  })

  it('a /31 or /127 with a gateway keeps one usable address, and a /32 without one keeps its address', async () => {
    expect((await addNetwork(db.pool, {cidr: '192.0.2.8/31', gateway: '192.0.2.8'})).usable).toBe('1')
    expect((await addNetwork(db.pool, {cidr: '2001:db8::8/127', gateway: '2001:db8::9'})).usable).toBe('1')
    expect((await addNetwork(db.pool, {cidr: '192.0.2.10/32'})).usable).toBe('1')
  })
})

describe('a nested network over addresses already in use', () => {
  it('is refused when its network or broadcast address is allocated (it would keep that address back), naming the address', async () => {
    const db = await freshDatabase('nested_taken')
    try {
      await addNetwork(db.pool, {cidr: '192.0.2.0/24'})
      await allocate(db.pool, {address: '192.0.2.128', assignedTo: 'bob'})
      const e = await refusal(addNetwork(db.pool, {cidr: '192.0.2.128/25'}))
      expect(e.kind).toBe('conflict')
      expect(e.message).toBe('192.0.2.128 is already ALLOCATED to bob: it would be the network address of 192.0.2.128/25')
      expect(await db.sql('SELECT cidr FROM ipnet')).toEqual([{cidr: '192.0.2.0/24'}])
      // a /32 keeps its one address usable, so it may sit on an address in use
      expect((await addNetwork(db.pool, {cidr: '192.0.2.128/32'})).usable).toBe('1')
    } finally {
      await db.drop()
    }
  })
})
