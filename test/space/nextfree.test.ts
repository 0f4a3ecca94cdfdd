import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {allocate} from '../../src/space/addresses.js'
import {networkMap} from '../../src/space/map.js'
import {addNetwork, listNetworks, showNetwork} from '../../src/space/networks.js'
import {addPool} from '../../src/space/pools.js'
import {addRange} from '../../src/space/ranges.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {refusal} from '../support/refusal.js'

describe('next-free with nested networks: each address judged by the most specific network holding it', () => {
  let db: TestDatabase
  beforeEach(async () => {
    db = await freshDatabase('nextfree')
  })
  afterEach(async () => {
    await db.drop()
  })

  const nest = async () => {
    await addNetwork(db.pool, {cidr: '192.0.2.0/24'})
    await addNetwork(db.pool, {cidr: '192.0.2.128/25'})
    await addNetwork(db.pool, {cidr: '192.0.2.192/26', gateway: '192.0.2.193'})
    await addPool(db.pool, {name: 'p'})
  }
  const take = async (count: number, pool = 'p') => (await allocate(db.pool, {pool, count})).addresses.map((a) => a.address)

  it('never hands out a nested network\'s network address (the issue\'s reproduction)', async () => {
    await nest()
    await addRange(db.pool, 'p', '192.0.2.120-192.0.2.140')
    const got = await take(10)
    expect(got).not.toContain('192.0.2.128')
    expect(got).toEqual(['192.0.2.120', '192.0.2.121', '192.0.2.122', '192.0.2.123', '192.0.2.124', '192.0.2.125', '192.0.2.126', '192.0.2.127', '192.0.2.129', '192.0.2.130'])
    // each address handed out is one `ips allocate <ip>` accepts, and is named by its most specific network
    const again = await allocate(db.pool, {pool: 'p'})
    expect(again.addresses[0]).toMatchObject({address: '192.0.2.131', network: '192.0.2.128/25'})
  })

  it('never hands out a nested network\'s network address nor its gateway (range across a nested network\'s start)', async () => {
    await nest()
    await addRange(db.pool, 'p', '192.0.2.190-192.0.2.196')
    expect(await take(4)).toEqual(['192.0.2.190', '192.0.2.191', '192.0.2.194', '192.0.2.195'])
  })

  it('a range ending at a broadcast address: the broadcast is never handed out; --count is all or nothing', async () => {
    await nest()
    const r = await addRange(db.pool, 'p', '192.0.2.250-192.0.2.255')
    expect(r).toMatchObject({size: '6', usable: '5'})
    const e = await refusal(allocate(db.pool, {pool: 'p', count: 6}))
    expect(e.kind).toBe('conflict')
    expect(e.message).toContain('6 requested, 5 free')
    expect(await db.sql('SELECT COUNT(*) AS n FROM ip')).toEqual([{n: '0'}])
    expect(await take(5)).toEqual(['192.0.2.250', '192.0.2.251', '192.0.2.252', '192.0.2.253', '192.0.2.254'])
    expect((await refusal(allocate(db.pool, {pool: 'p'}))).message).toContain('0 free')
  })

  it('a pool with two ranges moves on to the second when the first has only reserved addresses left', async () => {
    await nest()
    await addRange(db.pool, 'p', '192.0.2.126-192.0.2.128')
    await addRange(db.pool, 'p', '192.0.2.200-192.0.2.201')
    // .128 is the /25's network address: after .126 and .127 the next free is in the second range
    expect(await take(3)).toEqual(['192.0.2.126', '192.0.2.127', '192.0.2.200'])
    expect(await take(1)).toEqual(['192.0.2.201'])
    const e = await refusal(allocate(db.pool, {pool: 'p'}))
    expect(e.message).toContain('1 requested, 0 free')
  })

  it('IPv6: a nested network\'s subnet-router anycast address and gateway are never handed out', async () => {
    await addNetwork(db.pool, {cidr: '2001:db8::/64'})
    await addNetwork(db.pool, {cidr: '2001:db8::10/124', gateway: '2001:db8::11'})
    await addPool(db.pool, {name: 'v6'})
    await addRange(db.pool, 'v6', '2001:db8::e-2001:db8::13')
    expect(await take(4, 'v6')).toEqual(['2001:db8::e', '2001:db8::f', '2001:db8::12', '2001:db8::13'])
  })

  it('usable counts and the map leave out nested networks\' own addresses, and the map\'s totals add up', async () => {
    await nest()
    await addRange(db.pool, 'p', '192.0.2.120-192.0.2.140')
    await take(3)
    // the /24 loses .0, .255 (its own), .128 (the /25's network), .192 and .193 (the /26's network and gateway)
    expect((await showNetwork(db.pool, '192.0.2.0/24')).usable).toBe('251')
    const list = await listNetworks(db.pool)
    expect(list.map((n) => [n.cidr, n.usable])).toEqual([['192.0.2.0/24', '251'], ['192.0.2.128/25', '124'], ['192.0.2.192/26', '61']])
    const map = await networkMap(db.pool, '192.0.2.0/24')
    const t = map.totals as Record<string, number>
    expect(t.usable).toBe(251)
    expect(t.ALLOCATED + t.RESERVED + t.USED + t.pending + t.free + t.outside).toBe(t.usable)
    const cells = map.rows.flatMap((r) => r.cells) as {first: string; state: string}[]
    const state = (ip: string) => cells.find((c) => c.first === ip)!.state
    expect([state('192.0.2.128'), state('192.0.2.192'), state('192.0.2.193'), state('192.0.2.255')]).toEqual(['reserved-address', 'reserved-address', 'gateway', 'reserved-address'])
  })

  it('networks list and networks show agree on every usable count in a deep nest (edge prefixes, a parent\'s gateway inside a child, IPv6)', async () => {
    for (const [cidr, gateway] of [
      ['10.0.0.0/16', '10.0.1.1'], ['10.0.0.0/24', undefined], ['10.0.0.0/25', '10.0.0.126'], ['10.0.0.0/32', undefined], ['10.0.0.254/31', '10.0.0.255'],
      ['10.0.1.0/24', undefined], ['10.0.1.0/30', undefined], ['10.0.255.0/24', '10.0.255.254'],
      ['2001:db8::/48', '2001:db8::1'], ['2001:db8::/64', undefined], ['2001:db8::/127', undefined], ['2001:db8:0:1::/64', '2001:db8:0:1::1'],
    ] as const) await addNetwork(db.pool, {cidr, gateway})
    const list = await listNetworks(db.pool)
    for (const n of list) expect([n.cidr, n.usable]).toEqual([n.cidr, (await showNetwork(db.pool, n.cidr)).usable])
    const usable = Object.fromEntries(list.map((n) => [n.cidr, n.usable]))
    // 10.0.0.0 belongs to the /32 (usable); .127 is the /25's broadcast; .254 and .255: the /31 with its gateway .255
    expect(usable['10.0.0.0/24']).toBe(String(256 - 1 - 1 - 1))
    expect(usable['10.0.0.0/32']).toBe('1')
    expect(usable['10.0.0.254/31']).toBe('1')
  })
})
