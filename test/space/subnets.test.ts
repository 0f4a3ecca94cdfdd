import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Database, openDatabase} from '../../src/db/connect.js'
import {parseDbUrl} from '../../src/db/url.js'
import {migrate} from '../../src/db/schema.js'
import {IpamError} from '../../src/errors.js'
import {BITS, cidrOf, type Family, formatCidr, parseCidr} from '../../src/net/ip.js'
import {carveNetworks, findFreeBlocks} from '../../src/space/carve.js'
import {networkFree, poolFree, rangeCidrs} from '../../src/space/free.js'
import {findNetwork} from '../../src/space/model.js'
import {addNetwork} from '../../src/space/networks.js'
import {addPool} from '../../src/space/pools.js'
import {addRange} from '../../src/space/ranges.js'
import {allocate} from '../../src/space/addresses.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'

let tdb: TestDatabase
let db: Database

beforeAll(async () => {
  tdb = await freshDatabase('subnets')
  db = await openDatabase(parseDbUrl(tdb.url))
})
afterAll(async () => {
  await db.close()
  await tdb.drop()
})

const carve = (from: string, prefix: number, more: Partial<Parameters<typeof carveNetworks>[1]> = {}) =>
  carveNetworks(db.pool, {from, prefix, ...more}).then((r) => r.networks.map((n) => n.cidr))

/** The error a promise rejects with (fails when it resolves). */
async function failure(p: Promise<unknown>): Promise<IpamError> {
  try {
    await p
  } catch (error) {
    if (error instanceof IpamError) return error
    throw error
  }
  throw new Error('expected a failure')
}

async function childCount(parent: string) {
  const c = parseCidr(parent)
  const [{n}] = await tdb.sql('SELECT COUNT(*) AS n FROM ipnet WHERE family = ? AND network >= ? AND broadcast <= ? AND prefix > ?', [c.family, c.network, c.broadcast, c.prefix])
  return Number(n)
}

/** The lowest free aligned blocks computed the slow way, from every child in memory. */
async function bruteForce(parent: string, prefix: number, count: number): Promise<string[]> {
  const p = parseCidr(parent)
  const rows = await tdb.sql('SELECT network, broadcast FROM ipnet WHERE family = ? AND network >= ? AND broadcast <= ? AND prefix > ?', [p.family, p.network, p.broadcast, p.prefix])
  const spans = rows.map((r) => [BigInt(r.network), BigInt(r.broadcast)])
  const size = 1n << BigInt(BITS[p.family] - prefix)
  const out: string[] = []
  for (let s = p.network; s + size - 1n <= p.broadcast && out.length < count; s += size) {
    if (!spans.some(([a, b]) => a <= s + size - 1n && b >= s)) out.push(formatCidr(cidrOf(p.family, s, prefix)))
  }
  return out
}

describe('carving the next free subnet', () => {
  it('takes the lowest /24 of an empty /16, then the next one', async () => {
    await addNetwork(db.pool, {cidr: '10.1.0.0/16'})
    expect(await carve('10.1.0.0/16', 24)).toEqual(['10.1.0.0/24'])
    expect(await carve('10.1.0.0/16', 24)).toEqual(['10.1.1.0/24'])
  })

  it('skips children of mixed sizes and keeps blocks aligned', async () => {
    await addNetwork(db.pool, {cidr: '10.2.0.0/16'})
    for (const c of ['10.2.0.0/25', '10.2.1.0/24', '10.2.2.0/23', '10.2.5.64/26']) await addNetwork(db.pool, {cidr: c})
    expect(await carve('10.2.0.0/16', 24)).toEqual(['10.2.4.0/24'])
    expect(await carve('10.2.0.0/16', 25)).toEqual(['10.2.0.128/25'])
    // 10.2.5.64/26 blocks 10.2.5.0/24 and 10.2.4.0/23; the first free aligned /23 is 10.2.6.0.
    expect(await carve('10.2.0.0/16', 23)).toEqual(['10.2.6.0/23'])
    expect(await carve('10.2.0.0/16', 26)).toEqual(['10.2.5.0/26'])
  })

  it('treats a child holding grandchildren as taken, and ignores networks outside the parent', async () => {
    await addNetwork(db.pool, {cidr: '10.3.0.0/16'})
    await addNetwork(db.pool, {cidr: '10.3.0.0/22'})
    await addNetwork(db.pool, {cidr: '10.3.1.0/24'})
    await addNetwork(db.pool, {cidr: '10.4.0.0/24'})
    expect(await carve('10.3.0.0/16', 24)).toEqual(['10.3.4.0/24'])
    // Carving inside the /22 sees its own child only.
    expect(await carve('10.3.0.0/22', 24)).toEqual(['10.3.0.0/24'])
    expect(await carve('10.3.0.0/22', 24)).toEqual(['10.3.2.0/24'])
  })

  it('carves IPv6: /64s from a /48, /56s from a /32', async () => {
    await addNetwork(db.pool, {cidr: '2001:db8:1::/48'})
    expect(await carve('2001:db8:1::/48', 64)).toEqual(['2001:db8:1::/64'])
    expect(await carve('2001:db8:1::/48', 64, {count: 3})).toEqual(['2001:db8:1:1::/64', '2001:db8:1:2::/64', '2001:db8:1:3::/64'])
    await addNetwork(db.pool, {cidr: '2001:db9::/32'})
    await addNetwork(db.pool, {cidr: '2001:db9::/57'})
    expect(await carve('2001:db9::/32', 56)).toEqual(['2001:db9:0:100::/56'])
    expect(await carve('2001:db9::/32', 57)).toEqual(['2001:db9:0:80::/57'])
  })

  it('finds the parent by id as well as by CIDR', async () => {
    const p = await addNetwork(db.pool, {cidr: '10.5.0.0/24'})
    expect(await carve(String(p.id), 26)).toEqual(['10.5.0.0/26'])
  })

  it('--count is all or nothing: a parent with 3 of 4 slots free refuses 4 with exit 4 and creates nothing', async () => {
    await addNetwork(db.pool, {cidr: '10.6.0.0/22'})
    await addNetwork(db.pool, {cidr: '10.6.1.0/24'})
    const e = await failure(carve('10.6.0.0/22', 24, {count: 4}))
    expect(e.kind).toBe('conflict')
    expect(e.code).toBe('exhausted')
    expect(e.message).toBe('10.6.0.0/22 has no room for 4 /24 networks: 3 /24 free')
    expect(e.details).toMatchObject({requested: 4, free: '3'})
    expect(await childCount('10.6.0.0/22')).toBe(1)
    expect(await carve('10.6.0.0/22', 24, {count: 3})).toEqual(['10.6.0.0/24', '10.6.2.0/24', '10.6.3.0/24'])
    const full = await failure(carve('10.6.0.0/22', 24))
    expect([full.kind, full.message]).toEqual(['conflict', '10.6.0.0/22 has no room for 1 /24 network: 0 /24 free'])
    // Smaller blocks still fit nowhere: the /22 is covered.
    expect((await failure(carve('10.6.0.0/22', 30))).message).toContain('0 /30 free')
  })

  it('a full parent says how many of that size are still free', async () => {
    await addNetwork(db.pool, {cidr: '10.7.0.0/24'})
    await addNetwork(db.pool, {cidr: '10.7.0.0/25'})
    await addNetwork(db.pool, {cidr: '10.7.0.192/26'})
    const e = await failure(carve('10.7.0.0/24', 25))
    expect(e.message).toBe('10.7.0.0/24 has no room for 1 /25 network: 0 /25 free')
    expect(await carve('10.7.0.0/24', 27, {count: 2})).toEqual(['10.7.0.128/27', '10.7.0.160/27'])
  })

  it('--gateway-offset 1 sets each gateway to the first usable address; an offset outside the block is bad input', async () => {
    await addNetwork(db.pool, {cidr: '10.8.0.0/16'})
    const r = await carveNetworks(db.pool, {from: '10.8.0.0/16', prefix: 24, count: 2, gatewayOffset: 1, name: 'rack', vlan: 12, locations: ['paris'], note: 'carved'})
    expect(r.networks.map((n) => [n.cidr, n.gateway, n.name, n.vlan, n.locations, n.note, n.usable])).toEqual([
      ['10.8.0.0/24', '10.8.0.1', 'rack', 12, ['paris'], 'carved', '253'],
      ['10.8.1.0/24', '10.8.1.1', 'rack', 12, ['paris'], 'carved', '253'],
    ])
    const e = await failure(carve('10.8.0.0/16', 24, {gatewayOffset: 255}))
    expect([e.kind, e.message]).toEqual(['usage', '--gateway-offset 255 does not fit a /24: it is the broadcast address of a /24'])
    expect((await failure(carve('10.8.0.0/16', 24, {gatewayOffset: 256}))).message).toContain('it is outside a /24')
    const v6 = await carveNetworks(db.pool, {from: '2001:db8:1::/48', prefix: 64, gatewayOffset: 1})
    expect(v6.networks[0].gateway).toBe('2001:db8:1:4::1')
  })

  it('a gateway that is already an allocated address refuses the whole carve', async () => {
    await addNetwork(db.pool, {cidr: '10.9.0.0/16'})
    await addPool(db.pool, {name: 'p9'})
    await addRange(db.pool, 'p9', '10.9.0.1-10.9.0.10')
    await allocate(db.pool, {address: '10.9.0.1'})
    const e = await failure(carve('10.9.0.0/16', 24, {gatewayOffset: 1}))
    expect([e.kind, e.code]).toEqual(['conflict', 'address_taken'])
    expect(await childCount('10.9.0.0/16')).toBe(0)
  })

  it('refuses bad input naming the value, and creates nothing', async () => {
    await addNetwork(db.pool, {cidr: '10.10.0.0/16'})
    const cases: [() => Promise<unknown>, string][] = [
      [() => carve('10.10.0.0/16', 16), '--prefix 16 is not longer than the network\'s own /16'],
      [() => carve('10.10.0.0/16', 8), '--prefix 8 is not longer than the network\'s own /16'],
      [() => carve('10.10.0.0/16', 33), '--prefix 33 is not a prefix length of IPv4 (0-32)'],
      [() => carve('2001:db8:1::/48', 129), '--prefix 129 is not a prefix length of IPv6 (0-128)'],
      [() => carve('10.99.0.0/16', 24), '--from 10.99.0.0/16: no network 10.99.0.0/16'],
      [() => carve('999999', 24), '--from 999999: no network with id 999999'],
      [() => carve('10.10.0.1/16', 24), 'host bits are set'],
      [() => carve('10.10.0.0/16', 24, {count: 0}), '--count 0 is out of range (1-10000)'],
      [() => carve('10.10.0.0/16', 24, {vlan: 5000}), 'VLAN 5000 is out of range (1-4094)'],
    ]
    for (const [p, message] of cases) {
      const e = await failure(p())
      expect(e.kind, message).toBe('usage')
      expect(e.message).toContain(message)
    }
    expect(await childCount('10.10.0.0/16')).toBe(0)
  })

  it('agrees with a brute-force search on a /16 holding long runs of adjacent children, nested ones and scattered ones', async () => {
    const parent = '10.20.0.0/16'
    await addNetwork(db.pool, {cidr: parent})
    const p = parseCidr(parent)
    const rows: unknown[][] = []
    const add = (network: bigint, prefix: number) => {
      const c = cidrOf(4, network, prefix)
      rows.push([4, c.network, c.broadcast, prefix, formatCidr(c), '[]'])
    }
    // 100 adjacent /24s, a /22 with /24s and /26s nested inside, then 60 adjacent /26s, scattered /25s and /27s.
    for (let i = 0n; i < 100n; i++) add(p.network + i * 256n, 24)
    add(p.network + 100n * 256n, 22)
    add(p.network + 101n * 256n, 24)
    add(p.network + 102n * 256n + 64n, 26)
    for (let i = 0n; i < 60n; i++) add(p.network + 104n * 256n + i * 64n, 26)
    for (let i = 0n; i < 40n; i++) add(p.network + (120n + 2n * i) * 256n + (i % 2n) * 128n, 25)
    for (let i = 0n; i < 40n; i++) add(p.network + (121n + 2n * i) * 256n + 32n * (i % 8n), 27)
    await tdb.sql('INSERT INTO ipnet (family, network, broadcast, prefix, cidr, locations) VALUES ?', [rows])
    const net = await findNetwork(db.pool, parent)
    for (const [prefix, count] of [[24, 5], [25, 50], [26, 70], [27, 120], [23, 3], [30, 10], [20, 2]]) {
      const got = (await findFreeBlocks(db.pool, net, prefix, count)).map((s) => formatCidr(cidrOf(4 as Family, s, prefix)))
      expect(got, `/${prefix}`).toEqual(await bruteForce(parent, prefix, count))
    }
  })
})

describe('the edge points kept by triggers', () => {
  const recomputed = () => tdb.sql(`SELECT family, point, SUM(s) AS starts, SUM(e) AS ends FROM (
      SELECT family, network AS point, 1 AS s, 0 AS e FROM ipnet UNION ALL SELECT family, broadcast + 1, 0, 1 FROM ipnet) x
    GROUP BY family, point ORDER BY family, point`).then(asText)
  const kept = () => tdb.sql('SELECT family, point, starts, ends FROM ipam_ipnet_point WHERE starts > 0 OR ends > 0 ORDER BY family, point').then(asText)
  const asText = (rows: any[]) => rows.map((r) => `${r.family} ${r.point} ${r.starts} ${r.ends}`)

  it('stay true through carving, hand-written INSERT, UPDATE and DELETE, and carving still finds the lowest block', async () => {
    await addNetwork(db.pool, {cidr: '10.40.0.0/16'})
    await carve('10.40.0.0/16', 24, {count: 20})
    await tdb.sql("INSERT INTO ipnet (family, network, broadcast, prefix, cidr, locations) VALUES (4, 170393600 + 25 * 256, 170393600 + 25 * 256 + 255, 24, '10.40.25.0/24', '[]')")
    await tdb.sql("DELETE FROM ipnet WHERE cidr IN ('10.40.3.0/24', '10.40.7.0/24')")
    await tdb.sql("UPDATE ipnet SET network = network + 256 * 20, broadcast = broadcast + 256 * 20, cidr = '10.40.24.0/24' WHERE cidr = '10.40.4.0/24'")
    expect(await kept()).toEqual(await recomputed())
    const expected = await bruteForce('10.40.0.0/16', 24, 4)
    expect(expected).toEqual(['10.40.3.0/24', '10.40.4.0/24', '10.40.7.0/24', '10.40.20.0/24'])
    expect(await carve('10.40.0.0/16', 24, {count: 4})).toEqual(expected)
    expect(await carve('10.40.0.0/16', 24, {count: 4})).toEqual(['10.40.21.0/24', '10.40.22.0/24', '10.40.23.0/24', '10.40.26.0/24'])
    await tdb.sql('DELETE FROM ipnet WHERE cidr LIKE ?', ['10.40.%'])
    expect(await kept()).toEqual(await recomputed())
  })
})

describe('migrating a database that already holds networks', () => {
  it('fills the edge points from the networks there, and carving uses them', async () => {
    const old = await freshDatabase('subnets_upgrade')
    try {
      // A version-1 database: no edge points, no triggers on ipnet.
      for (const t of ['ipam_ipnet_after_insert', 'ipam_ipnet_after_delete', 'ipam_ipnet_after_update']) await old.sql(`DROP TRIGGER ${t}`)
      await old.sql('DROP TABLE ipam_ipnet_point')
      await old.sql('DELETE FROM ipam_migrations WHERE version > 1')
      const rows = [[4, 0x0b000000, 0x0bffffff, 8, '11.0.0.0/8', '[]']]
      for (let i = 0; i < 300; i++) rows.push([4, 0x0b000000 + i * 256, 0x0b000000 + i * 256 + 255, 24, `11.${i >> 8}.${i & 255}.0/24`, '[]'])
      await old.sql('INSERT INTO ipnet (family, network, broadcast, prefix, cidr, locations) VALUES ?', [rows])
      const upgraded = await openDatabase(parseDbUrl(old.url))
      try {
        expect((await migrate(upgraded.pool)).applied).toContain(2)
        // Runs stop after the 300th /24 and after the /8.
        expect((await old.sql('SELECT open_point FROM ipam_ipnet_point WHERE open_point IS NOT NULL ORDER BY open_point')).map((r) => r.open_point)).toEqual([String(0x0b000000 + 300 * 256), String(0x0c000000)])
        const r = await carveNetworks(upgraded.pool, {from: '11.0.0.0/8', prefix: 24, count: 2})
        expect(r.networks.map((x) => x.cidr)).toEqual(['11.1.44.0/24', '11.1.45.0/24'])
      } finally {
        await upgraded.close()
      }
    } finally {
      await old.drop()
    }
  })
})

describe('free space', () => {
  it('lists what no child covers as the minimal sorted CIDR list, and counts blocks of a length', async () => {
    await addNetwork(db.pool, {cidr: '10.30.0.0/16'})
    for (const c of ['10.30.0.0/24', '10.30.2.0/23', '10.30.128.0/17']) await addNetwork(db.pool, {cidr: c})
    await addNetwork(db.pool, {cidr: '10.30.2.0/24'})
    const r = await networkFree(db.pool, '10.30.0.0/16')
    expect(r.free).toEqual(['10.30.1.0/24', '10.30.4.0/22', '10.30.8.0/21', '10.30.16.0/20', '10.30.32.0/19', '10.30.64.0/18'])
    expect([r.blocks, r.largest, r.addresses]).toEqual([6, '10.30.64.0/18', String(256 + 1024 + 2048 + 4096 + 8192 + 16384)])
    const by24 = await networkFree(db.pool, '10.30.0.0/16', {prefix: 24, first: 3})
    expect([by24.fit, by24.first]).toEqual(['125', ['10.30.1.0/24', '10.30.4.0/24', '10.30.5.0/24']])
    const by21 = await networkFree(db.pool, '10.30.0.0/16', {prefix: 21})
    expect([by21.fit, by21.first]).toEqual([String(1 + 2 + 4 + 8), ['10.30.8.0/21', '10.30.16.0/21', '10.30.24.0/21', '10.30.32.0/21', '10.30.40.0/21', '10.30.48.0/21', '10.30.56.0/21', '10.30.64.0/21', '10.30.72.0/21', '10.30.80.0/21']])
    expect((await failure(networkFree(db.pool, '10.30.0.0/16', {prefix: 16}))).kind).toBe('usage')
  })

  it('an empty network is all free; a covered one has no free blocks; IPv6 works the same', async () => {
    await addNetwork(db.pool, {cidr: '10.31.0.0/24'})
    expect((await networkFree(db.pool, '10.31.0.0/24')).free).toEqual(['10.31.0.0/24'])
    await addNetwork(db.pool, {cidr: '10.31.0.0/25'})
    await addNetwork(db.pool, {cidr: '10.31.0.128/25'})
    expect(await networkFree(db.pool, '10.31.0.0/24')).toMatchObject({free: [], blocks: 0, largest: null, addresses: '0'})
    await addNetwork(db.pool, {cidr: '2001:db8:31::/48'})
    await addNetwork(db.pool, {cidr: '2001:db8:31::/64'})
    const v6 = await networkFree(db.pool, '2001:db8:31::/48', {prefix: 64, first: 2})
    expect(v6.free[0]).toBe('2001:db8:31:1::/64')
    expect(v6.largest).toBe('2001:db8:31:8000::/49')
    expect([v6.fit, v6.first]).toEqual(['65535', ['2001:db8:31:1::/64', '2001:db8:31:2::/64']])
  })

  it('a pool lists its free addresses as ranges and CIDRs, without network, broadcast, gateway or used addresses', async () => {
    await addNetwork(db.pool, {cidr: '192.0.2.0/24', gateway: '192.0.2.1'})
    await addPool(db.pool, {name: 'free-pool'})
    await addRange(db.pool, 'free-pool', '192.0.2.0/24')
    for (const a of ['192.0.2.2', '192.0.2.3', '192.0.2.100']) await allocate(db.pool, {address: a})
    // A PENDING request holds its address back from next-free; a decided one does not.
    await tdb.sql("INSERT INTO ip_request (family, addr, network_cidr, status) VALUES (4, INET_ATON('192.0.2.200'), '192.0.2.0/24', 'PENDING'), (4, INET_ATON('192.0.2.201'), '192.0.2.0/24', 'REJECTED')")
    const r = await poolFree(db.pool, 'free-pool')
    expect(r.ranges.map((g) => [g.range, g.size, g.cidrs])).toEqual([
      ['192.0.2.4-192.0.2.99', '96', ['192.0.2.4/30', '192.0.2.8/29', '192.0.2.16/28', '192.0.2.32/27', '192.0.2.64/27', '192.0.2.96/30']],
      ['192.0.2.101-192.0.2.199', '99', ['192.0.2.101/32', '192.0.2.102/31', '192.0.2.104/29', '192.0.2.112/28', '192.0.2.128/26', '192.0.2.192/29']],
      ['192.0.2.201-192.0.2.254', '54', ['192.0.2.201/32', '192.0.2.202/31', '192.0.2.204/30', '192.0.2.208/28', '192.0.2.224/28', '192.0.2.240/29', '192.0.2.248/30', '192.0.2.252/31', '192.0.2.254/32']],
    ])
    expect(r.addresses).toBe('249')
  })

  it('a pool with more used addresses than one read batch: gaps, gateway and PENDING addresses beyond it are right', async () => {
    await addNetwork(db.pool, {cidr: '10.70.0.0/16', gateway: '10.70.100.1'})
    await addPool(db.pool, {name: 'big-free'})
    await addRange(db.pool, 'big-free', '10.70.0.0/16')
    await allocate(db.pool, {pool: 'big-free', count: 12_000})
    await tdb.sql("INSERT INTO ip_request (family, addr, network_cidr, status) VALUES (4, INET_ATON('10.70.50.5'), '10.70.0.0/16', 'PENDING')")
    const r = await poolFree(db.pool, 'big-free')
    expect(r.ranges.map((g) => g.range)).toEqual(['10.70.46.225-10.70.50.4', '10.70.50.6-10.70.100.0', '10.70.100.2-10.70.255.254'])
    expect(r.addresses).toBe(String(65534 - 12_000 - 2))
  })

  it('rangeCidrs covers a range exactly with the fewest aligned blocks', () => {
    expect(rangeCidrs(4, 0n, 0xffffffffn)).toEqual(['0.0.0.0/0'])
    expect(rangeCidrs(4, 1n, 6n)).toEqual(['0.0.0.1/32', '0.0.0.2/31', '0.0.0.4/31', '0.0.0.6/32'])
    expect(rangeCidrs(6, 1n, 1n)).toEqual(['::1/128'])
  })
})
