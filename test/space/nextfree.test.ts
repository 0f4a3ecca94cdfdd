import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {BITS, type Cidr, cidrOf, type Family, formatAddress, formatCidr, parseAddress, parseCidr, unusableReason} from '../../src/net/ip.js'
import {allocate, showAddress} from '../../src/space/addresses.js'
import {lockPool} from '../../src/space/nextfree.js'
import {networkMap} from '../../src/space/map.js'
import {addNetwork, listNetworks, showNetwork} from '../../src/space/networks.js'
import {addPool} from '../../src/space/pools.js'
import {addRange} from '../../src/space/ranges.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {seeded} from '../../bench/seeded.js'
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

describe('next-free finds the lowest free addresses whatever the blocks around them hold', () => {
  let db: TestDatabase
  beforeEach(async () => {
    db = await freshDatabase('nextfree_blocks')
  })
  afterEach(async () => {
    await db.drop()
  })

  const value = (text: string) => parseAddress(text).value
  const text = (family: Family, v: bigint) => formatAddress(family, v)
  /** Rows for these addresses, as hand-written SQL or an import would leave them. */
  const use = async (family: Family, values: Iterable<bigint>) => {
    const rows = [...values].map((v) => [family, v, 'USED'])
    for (let i = 0; i < rows.length; i += 5000) await db.pool.query('INSERT INTO ip (family, addr, status) VALUES ?', [rows.slice(i, i + 5000)])
  }
  const useRange = (first: string, last: string) => {
    const a = parseAddress(first)
    return use(a.family, Array.from({length: Number(value(last) - a.value) + 1}, (_, i) => a.value + BigInt(i)))
  }
  const pend = async (family: Family, values: Iterable<bigint>, cidr: string) => {
    const rows = [...values].map((v) => [family, v, cidr, 'PENDING'])
    if (rows.length > 0) await db.pool.query('INSERT INTO ip_request (family, addr, network_cidr, status) VALUES ?', [rows])
  }
  const take = async (pool: string, count = 1) => (await allocate(db.pool, {pool, count})).addresses.map((a) => a.address)
  const pool = async (name: string, ...ranges: string[]) => {
    await addPool(db.pool, {name})
    for (const r of ranges) await addRange(db.pool, name, r)
  }

  it('finds a gap at the last address of a block, then the first of the next block', async () => {
    await addNetwork(db.pool, {cidr: '10.0.0.0/16'})
    await pool('p', '10.0.0.0/16')
    // block 0 (10.0.0.0-10.0.15.255): all used but its network address and its last address
    await useRange('10.0.0.1', '10.0.15.254')
    await useRange('10.0.16.1', '10.0.16.9')
    expect(await take('p', 3)).toEqual(['10.0.15.255', '10.0.16.0', '10.0.16.10'])
  })

  it('skips full blocks to the first that may hold a free address: one without rows, or one below full, past missing ones', async () => {
    // per /16: which of its first blocks are full (F), empty (-) or start with 10 used addresses (s); block 0 has
    // every address used but its network address (N), or every one (F)
    const layouts: [string, string, string][] = [
      ['10.20.0.0/16', 'NF-F', '10.20.32.0'],
      ['10.21.0.0/16', 'N-FF', '10.21.16.0'],
      ['10.22.0.0/16', 'NFs-F', '10.22.32.10'],
      ['10.23.0.0/16', 'FF-F', '10.23.32.0'],
      ['10.24.0.0/16', 'FFFF', '10.24.64.0'],
    ]
    for (const [cidr, layout, expected] of layouts) {
      await addNetwork(db.pool, {cidr})
      await pool(cidr, cidr)
      const base = parseCidr(cidr).network
      const rows: bigint[] = []
      for (const [i, kind] of [...layout].entries()) {
        const start = base + 4096n * BigInt(i)
        const count = kind === 'F' ? 4096 : kind === 'N' ? 4095 : kind === 's' ? 10 : 0
        for (let k = 0; k < count; k++) rows.push(start + BigInt(kind === 'N' ? k + 1 : k))
      }
      await use(4, rows)
      expect([cidr, await take(cidr)]).toEqual([cidr, [expected]])
    }
  })

  it('finds the one free address of a block, and the ones below it once they are freed', async () => {
    await addNetwork(db.pool, {cidr: '10.9.0.0/16'})
    await pool('p', '10.9.0.0/16')
    // every address of block 0 has a row (the network address too, as an import may leave it) but 10.9.8.0
    await use(4, Array.from({length: 4096}, (_, i) => value('10.9.0.0') + BigInt(i)).filter((v) => v !== value('10.9.8.0')))
    expect(await take('p')).toEqual(['10.9.8.0'])
    await db.pool.query('DELETE FROM ip WHERE family = 4 AND addr IN (?)', [[value('10.9.3.7'), value('10.9.3.8'), value('10.9.15.254')]])
    expect(await take('p', 4)).toEqual(['10.9.3.7', '10.9.3.8', '10.9.15.254', '10.9.16.0'])
  })

  it('finds a free address right after what one read of a block lists', async () => {
    await addNetwork(db.pool, {cidr: '10.14.0.0/16'})
    await pool('p', '10.14.0.0/16')
    // used: offsets 1-64 (one read's worth), 66-3999 but 3000: the first free is 65
    const at = (n: number) => value('10.14.0.0') + BigInt(n)
    await use(4, [...Array.from({length: 64}, (_, i) => at(1 + i)), ...Array.from({length: 3934}, (_, i) => at(66 + i)).filter((v) => v !== at(3000))])
    expect(await take('p', 3)).toEqual(['10.14.0.65', '10.14.11.184', '10.14.15.160'])
  })

  it('finds the few free addresses deep in a nearly full block, past more than one further read', async () => {
    await addNetwork(db.pool, {cidr: '10.15.0.0/16'})
    await pool('p', '10.15.0.0/16')
    // all of block 0 used but 4 addresses from offset 2000 on
    const at = (n: number) => value('10.15.0.0') + BigInt(n)
    const free = [2000, 2001, 3000, 3001].map(at)
    await use(4, Array.from({length: 4095}, (_, i) => at(1 + i)).filter((v) => !free.includes(v)))
    expect(await take('p', 5)).toEqual(['10.15.7.208', '10.15.7.209', '10.15.11.184', '10.15.11.185', '10.15.16.0'])
  })

  it('a range starting inside a block is judged by its own part of the block', async () => {
    await addNetwork(db.pool, {cidr: '10.10.0.0/16'})
    await pool('p', '10.10.1.0-10.10.15.255')
    // one used address before the range in the same block, and one free one deep inside the range
    await use(4, [value('10.10.0.5')])
    await use(4, Array.from({length: 3840}, (_, i) => value('10.10.1.0') + BigInt(i)).filter((v) => v !== value('10.10.9.9')))
    expect(await take('p')).toEqual(['10.10.9.9'])
  })

  it('finds the pool by id, by a numeric name (of an older database), and names an unknown one', async () => {
    await addNetwork(db.pool, {cidr: '10.11.0.0/24'})
    await pool('p', '10.11.0.0-10.11.0.9')
    // names cannot be numbers today; an older database may hold one
    await db.pool.query("INSERT INTO ippool (name) VALUES ('4242')")
    await addRange(db.pool, '4242', '10.11.0.10-10.11.0.19')
    const [[{id}]] = await db.pool.query<any[]>("SELECT id FROM ippool WHERE name = 'p'")
    expect(await take(String(id))).toEqual(['10.11.0.1'])
    expect(await take('4242')).toEqual(['10.11.0.10'])
    const e = await refusal(allocate(db.pool, {pool: 'nope'}))
    expect([e.kind, e.message]).toEqual(['not-found', 'no pool "nope"'])
  })

  it('reads the ranges again when the server cuts their list short (group_concat_max_len)', async () => {
    await addNetwork(db.pool, {cidr: '10.12.0.0/16'})
    await pool('p', '10.12.0.0/24', '10.12.1.0-10.12.1.9', '10.12.2.0/23')
    const conn = await db.pool.getConnection()
    try {
      await conn.query('SET SESSION group_concat_max_len = 40')
      await conn.query('START TRANSACTION')
      const locked = await lockPool(conn, 'p')
      expect(locked.segments.map((s) => [s.start, s.end].map((v) => text(4, v)).join('-'))).toEqual(['10.12.0.0-10.12.0.255', '10.12.1.0-10.12.1.9', '10.12.2.0-10.12.3.255'])
      await conn.query('ROLLBACK')
    } finally {
      conn.destroy()
    }
  })

  it('skips a reserved or PENDING address that is the first candidate, also after a run longer than one read', async () => {
    await addNetwork(db.pool, {cidr: '10.1.0.0/24', gateway: '10.1.0.1'})
    await addNetwork(db.pool, {cidr: '10.2.0.0/16'})
    await pool('a', '10.1.0.0/24')
    await pool('b', '10.2.0.0/16')
    await pend(4, [value('10.1.0.2'), value('10.1.0.3'), value('10.1.0.10')], '10.1.0.0/24')
    await useRange('10.1.0.4', '10.1.0.9')
    // .0 network, .1 gateway, .2 and .3 pending, .4-.9 used, .10 pending
    expect(await take('a', 3)).toEqual(['10.1.0.11', '10.1.0.12', '10.1.0.13'])
    // 200 used from the start (more than one read lists), then a pending address
    await useRange('10.2.0.1', '10.2.0.200')
    await pend(4, [value('10.2.0.201')], '10.2.0.0/16')
    expect(await take('b')).toEqual(['10.2.0.202'])
  })

  it('walks past many consecutive PENDING addresses in a block used in several runs', async () => {
    await addNetwork(db.pool, {cidr: '10.3.0.0/16'})
    await pool('p', '10.3.0.0/16')
    const holes = Array.from({length: 100}, (_, i) => value('10.3.1.0') + BigInt(i))
    const free = value('10.3.2.50')
    const used = Array.from({length: 4095}, (_, i) => value('10.3.0.1') + BigInt(i)).filter((v) => v !== free && !holes.includes(v))
    await use(4, used)
    await pend(4, holes, '10.3.0.0/16')
    expect(await take('p', 2)).toEqual(['10.3.2.50', '10.3.16.0'])
  })

  it('walks past many consecutive reserved addresses (nested /30s with gateways, their one usable address pending)', async () => {
    await addNetwork(db.pool, {cidr: '10.4.0.0/24'})
    for (let i = 0; i < 20; i++) await addNetwork(db.pool, {cidr: `10.4.0.${i * 4}/30`, gateway: `10.4.0.${i * 4 + 1}`})
    await pool('p', '10.4.0.0/24')
    await pend(4, Array.from({length: 20}, (_, i) => value(`10.4.0.${i * 4 + 2}`)), '10.4.0.0/24')
    expect(await take('p', 2)).toEqual(['10.4.0.80', '10.4.0.81'])
  })

  it('moves on to the second range when the first is full, to the last address', async () => {
    await addNetwork(db.pool, {cidr: '10.5.0.0/16'})
    // the first range is one whole block, every address of it used (its summary says full); the second starts mid-block
    await pool('p', '10.5.0.0/20', '10.5.16.10-10.5.16.20', '10.5.32.0/19')
    await useRange('10.5.0.0', '10.5.15.255')
    await useRange('10.5.16.10', '10.5.16.19')
    expect(await take('p', 3)).toEqual(['10.5.16.20', '10.5.32.0', '10.5.32.1'])
  })

  it('skips a full first block of a range that starts inside it', async () => {
    await addNetwork(db.pool, {cidr: '10.7.0.0/19'})
    await pool('p', '10.7.0.100-10.7.31.255')
    await useRange('10.7.0.0', '10.7.15.255')
    await useRange('10.7.16.0', '10.7.31.200')
    // a range ending at the network's broadcast address: .31.255 is never handed out
    expect(await take('p', 54)).toEqual(Array.from({length: 54}, (_, i) => `10.7.31.${201 + i}`))
    expect((await refusal(allocate(db.pool, {pool: 'p'}))).message).toContain('1 requested, 0 free')
  })

  it('hands out many at once across blocks, leaving out reserved and PENDING addresses on the way', async () => {
    await addNetwork(db.pool, {cidr: '10.6.0.0/18'})
    await addNetwork(db.pool, {cidr: '10.6.16.0/24', gateway: '10.6.16.1'})
    await pool('p', '10.6.0.0/18')
    await useRange('10.6.0.1', '10.6.15.250')
    await pend(4, [value('10.6.15.252'), value('10.6.16.3')], '10.6.0.0/18')
    const got = await take('p', 20)
    expect(got).toEqual(['10.6.15.251', '10.6.15.253', '10.6.15.254', '10.6.15.255', '10.6.16.2', ...Array.from({length: 15}, (_, i) => `10.6.16.${4 + i}`)])
    // each names its most specific network
    const again = await allocate(db.pool, {pool: 'p', count: 2})
    expect(again.addresses.map((a) => [a.address, a.network])).toEqual([['10.6.16.19', '10.6.16.0/24'], ['10.6.16.20', '10.6.16.0/24']])
  })

  it('hands out many at once from a block used in several runs, each longer than one read', async () => {
    await addNetwork(db.pool, {cidr: '10.13.0.0/16'})
    await pool('p', '10.13.0.0/16')
    const holes = [700n, 900n, 1200n].map((n) => value('10.13.0.0') + n)
    await use(4, Array.from({length: 1500}, (_, i) => value('10.13.0.1') + BigInt(i)).filter((v) => !holes.includes(v)))
    expect(await take('p', 10)).toEqual(['10.13.2.188', '10.13.3.132', '10.13.4.176', ...Array.from({length: 7}, (_, i) => `10.13.5.${221 + i}`)])
  })

  it('IPv6: a run longer than one read, then a PENDING address', async () => {
    await addNetwork(db.pool, {cidr: '2001:db8:1::/64'})
    await pool('p', '2001:db8:1::/64')
    await useRange('2001:db8:1::1', '2001:db8:1::c8')
    await pend(6, [value('2001:db8:1::c9')], '2001:db8:1::/64')
    expect(await take('p', 2)).toEqual(['2001:db8:1::ca', '2001:db8:1::cb'])
  })

  it('the new rows read back as allocate returned them', async () => {
    await addNetwork(db.pool, {cidr: '10.8.0.0/24'})
    await pool('p', '10.8.0.0/24')
    const r = await allocate(db.pool, {pool: 'p', assignedTo: 'alice', assignType: 'vm', description: 'build box', hostname: 'Build.example.com', mac: '001a2b3c4d5e'})
    const {pool: _, usable: __, note: ___, requests: ____, ...view} = await showAddress(db.pool, '10.8.0.1')
    expect(r.addresses[0]).toEqual(view)
    // the same keys in the same order: --json prints them so
    expect(Object.keys(r.addresses[0])).toEqual(Object.keys(view))
  })

  // Seeded random pools checked against a plain reading of the rules: every address of the
  // ranges in order, skipping used, PENDING and reserved ones (judged by the most specific network).
  it('agrees with an address-by-address search on random pools, blocks and fills', async () => {
    const rand = seeded(2024)
    const int = (n: number) => Math.floor(rand() * n)
    for (let round = 0; round < 24; round++) {
      for (const t of ['ip_request', 'ip', 'ippool', 'ipnet']) await db.pool.query(`DELETE FROM ${t}`)
      const family: Family = round % 6 === 5 ? 6 : 4
      const parent = parseCidr(family === 4 ? `10.${100 + round}.0.0/18` : `2001:db8:${round}::/114`)
      const nets: {c: Cidr; gateway: bigint | null}[] = []
      const addNet = async (c: Cidr, gateway?: bigint) => {
        try {
          await addNetwork(db.pool, {cidr: formatCidr(c), gateway: gateway === undefined ? undefined : text(family, gateway)})
          nets.push({c, gateway: gateway ?? null})
        } catch {}
      }
      await addNet(parent, rand() < 0.5 ? parent.network + BigInt(1 + int(100)) : undefined)
      const bits = BITS[family]
      for (let i = int(8); i > 0; i--) {
        const prefix = bits - 8 + int(9)
        const size = 1n << BigInt(bits - prefix)
        const network = parent.network + BigInt(int(Number((parent.broadcast - parent.network + 1n) / size))) * size
        const c = cidrOf(family, network, prefix)
        await addNet(c, rand() < 0.5 && size > 2n ? network + 1n + BigInt(int(Number(size - 2n))) : undefined)
      }
      // up to three ranges, cut at random points (the first may start at the network address, the last end at its broadcast)
      const cuts = [...new Set(Array.from({length: 6}, () => parent.network + BigInt(int(Number(parent.broadcast - parent.network)))))].sort((a, b) => (a < b ? -1 : 1))
      if (rand() < 0.3) cuts[0] = parent.network
      if (rand() < 0.3) cuts[cuts.length - 1] = parent.broadcast
      const segments: [bigint, bigint][] = []
      for (let i = 0; i + 1 < cuts.length && segments.length < 3; i += 2) segments.push([cuts[i], cuts[i + 1]])
      await addPool(db.pool, {name: 'p'})
      for (const [s, e] of segments) await addRange(db.pool, 'p', `${text(family, s)}-${text(family, e)}`)
      // used: dense runs (some longer than a block), a full block, scattered addresses
      const used = new Set<bigint>()
      for (let i = int(4); i > 0; i--) {
        const start = parent.network + BigInt(int(16384))
        for (let k = BigInt(int(rand() < 0.3 ? 6000 : 300)); k > 0n; k--) if (start + k <= parent.broadcast) used.add(start + k)
      }
      if (rand() < 0.3) for (let k = 0n; k < 4096n; k++) used.add(parent.network + 4096n * BigInt(int(4)) + k)
      for (let i = int(200); i > 0; i--) used.add(parent.network + BigInt(int(16384)))
      // holes in the runs: blocks used in several runs
      const list = [...used]
      for (let i = int(12); i > 0 && list.length > 0; i--) used.delete(list[int(list.length)])
      await use(family, used)
      const pending = new Set<bigint>()
      for (let i = int(40); i > 0; i--) {
        const at = rand() < 0.5 ? segments[int(segments.length)][0] + BigInt(int(8)) : parent.network + BigInt(int(16384))
        if (!used.has(at)) pending.add(at)
      }
      await pend(family, pending, formatCidr(parent))
      // the plain reading
      const holder = (v: bigint) => nets.filter((n) => n.c.network <= v && v <= n.c.broadcast).sort((a, b) => b.c.prefix - a.c.prefix)[0]
      const free = () => segments.flatMap(([s, e]) => {
        const out: bigint[] = []
        for (let v = s; v <= e; v++) {
          const h = holder(v)
          if (!used.has(v) && !pending.has(v) && unusableReason(h.c, v, h.gateway) === undefined) out.push(v)
        }
        return out
      })
      for (const want of [[1, 2, 5, 8][int(4)], [9, 40, 300][int(3)]]) {
        const expected = free()
        const label = `round ${round}: ${want} from ${segments.map(([s, e]) => `${text(family, s)}-${text(family, e)}`).join(', ')}`
        if (expected.length < want) {
          expect((await refusal(allocate(db.pool, {pool: 'p', count: want}))).message, label).toContain(`${want} requested, ${expected.length} free`)
          continue
        }
        const got = (await allocate(db.pool, {pool: 'p', count: want})).addresses
        expect(got.map((a) => a.address), label).toEqual(expected.slice(0, want).map((v) => text(family, v)))
        expect(got.map((a) => a.network), label).toEqual(expected.slice(0, want).map((v) => formatCidr(holder(v).c)))
        for (const v of expected.slice(0, want)) used.add(v)
      }
    }
  })
})

