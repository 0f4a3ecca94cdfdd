import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {tableChecksums} from '../support/checksums.js'
import {cliFor, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {hasPty, runPty} from '../support/pty.js'
import {allocate} from '../../src/space/addresses.js'
import {addNetwork} from '../../src/space/networks.js'
import {addPool} from '../../src/space/pools.js'
import {addRange} from '../../src/space/ranges.js'

/** Every table's row count and checksum, audit log and outbox included, to prove a refusal changed nothing. */
const snapshot = tableChecksums

/** The block and cell summaries kept by triggers agree with the addresses. */
async function expectSummaryConsistent(db: TestDatabase) {
  const wrong = await db.sql(`SELECT b.family, b.block, b.used, COALESCE(c.n, 0) AS actual FROM ipam_ip_block b
    LEFT JOIN (SELECT family, FLOOR(addr / 4096) AS block, COUNT(*) AS n FROM ip GROUP BY family, FLOOR(addr / 4096)) c ON c.family = b.family AND c.block = b.block
    WHERE b.used <> COALESCE(c.n, 0)`)
  expect(wrong).toEqual([])
  const actual = "SELECT family, FLOOR(addr / 256) AS cell, SUM(status = 'ALLOCATED') AS a, SUM(status = 'RESERVED') AS r, SUM(status = 'USED') AS u FROM ip GROUP BY family, FLOOR(addr / 256)"
  const wrongCells = await db.sql(`SELECT c.family, c.cell FROM ipam_ip_cell c LEFT JOIN (${actual}) x ON x.family = c.family AND x.cell = c.cell
    WHERE c.allocated <> COALESCE(x.a, 0) OR c.reserved <> COALESCE(x.r, 0) OR c.used <> COALESCE(x.u, 0)
    UNION ALL SELECT x.family, x.cell FROM (${actual}) x LEFT JOIN ipam_ip_cell c ON c.family = x.family AND c.cell = x.cell WHERE c.cell IS NULL`)
  expect(wrongCells).toEqual([])
}

describe('networks', () => {
  // Two databases, so that no test depends on another having run (`-t` runs any one alone):
  // `empty` for the test that adds, `seeded` (the same three networks, added here) for the tests that only read or are refused.
  let empty: TestDatabase
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  beforeAll(async () => {
    ;[empty, db] = await Promise.all([freshDatabase('networks_add'), freshDatabase('networks')])
    run = cliFor(db.url)
    for (const args of [
      ['networks', 'add', '10.1.0.0/16', '--name', 'campus', '--location', 'paris', '--location', 'lyon'],
      ['networks', 'add', '2001:db8::/48', '--name', 'v6'],
      ['networks', 'add', '10.1.2.0/24', '--gateway', '10.1.2.1', '--vlan', '12'],
    ]) {
      const r = await run(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }
  })
  afterAll(async () => Promise.all([empty.drop(), db.drop()]))

  it('adds IPv4 and IPv6 networks, normalized, in text and JSON', async () => {
    const run = cliFor(empty.url)
    const v4 = await run(['networks', 'add', '10.1.0.0/16', '--name', 'campus', '--location', 'paris', '--location', 'lyon'])
    expect(v4.code).toBe(0)
    expect(v4.stdout).toContain('Added network 10.1.0.0/16')
    const v6 = await run(['networks', 'add', '2001:DB8:0::/48', '--name', 'v6', '--json'])
    expect(v6.code).toBe(0)
    expect(v6.json()).toMatchObject({cidr: '2001:db8::/48', family: 6, name: 'v6', usable: ((1n << 80n) - 1n).toString()})
    const sub = await run(['networks', 'add', '10.1.2.0/24', '--gateway', '10.1.2.1', '--vlan', '12', '--json'])
    expect(sub.json()).toMatchObject({cidr: '10.1.2.0/24', gateway: '10.1.2.1', vlan: 12, usable: '253', locations: []})
  })

  it('refuses host bits with the corrected CIDR, duplicates, and bad gateways, changing nothing', async () => {
    const before = await snapshot(db)
    const host = await run(['networks', 'add', '10.1.2.77/24'])
    expect(host.code).toBe(2)
    expect(host.stderr).toContain('did you mean 10.1.2.0/24?')
    const dup = await run(['networks', 'add', '10.1.2.0/24', '--json'])
    expect(dup.code).toBe(4)
    expect(dup.json().error.code).toBe('duplicate')
    for (const gw of ['10.9.9.9', '10.1.3.0', '10.1.3.255', '2001:db8::1', 'nonsense']) {
      const r = await run(['networks', 'add', '10.1.3.0/24', '--gateway', gw])
      expect(r.code, gw).toBe(2)
      expect(r.stderr).toContain('gateway')
    }
    const vlan = await run(['networks', 'add', '10.1.3.0/24', '--vlan', '5000'])
    expect(vlan.code).toBe(2)
    expect(await snapshot(db)).toEqual(before)
  })

  it('shows nesting: parent and children', async () => {
    const parent = await run(['networks', 'show', '10.1.0.0/16', '--json'])
    expect(parent.json()).toMatchObject({parent: null, children: [{cidr: '10.1.2.0/24'}]})
    const child = await run(['networks', 'show', '10.1.2.0/24'])
    expect(child.stdout).toMatch(/Parent\s+10\.1\.0\.0\/16/)
    const missing = await run(['networks', 'show', '10.200.0.0/16'])
    expect(missing.code).toBe(3)
    const bad = await run(['networks', 'show', 'nonsense'])
    expect(bad.code).toBe(2)
  })

  it('filters by location (no location means everywhere) and family', async () => {
    const paris = await run(['networks', 'list', '--location', 'paris', '--json'])
    expect(paris.json().map((n: any) => n.cidr)).toEqual(['10.1.0.0/16', '10.1.2.0/24', '2001:db8::/48'])
    const berlin = await run(['networks', 'list', '--location', 'berlin', '--json'])
    expect(berlin.json().map((n: any) => n.cidr)).toEqual(['10.1.2.0/24', '2001:db8::/48'])
    const v6 = await run(['networks', 'list', '--family', '6', '--json'])
    expect(v6.json().map((n: any) => n.cidr)).toEqual(['2001:db8::/48'])
  })
})

describe('pools, ranges and addresses', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const home = tempHome()
  const SEED = [
    ['networks', 'add', '192.0.2.0/24', '--gateway', '192.0.2.1'],
    ['networks', 'add', '198.51.100.0/24'],
    ['networks', 'add', '2001:db8:1::/64'],
    ['pools', 'add', 'office', '--location', 'paris'],
    ['pools', 'add', 'v6'],
    ['ranges', 'add', 'office', '192.0.2.0-192.0.2.9'],
    ['ranges', 'add', 'v6', '2001:db8:1::/120'],
  ]
  /** A PENDING request holding 192.0.2.2 (next-free skips it). */
  const pendingTwo = (d: TestDatabase) => d.sql("INSERT INTO ip_request (family, addr, network_cidr, status) VALUES (4, 3221225986, '192.0.2.0/24', 'PENDING')")
  /** The office with .2 requested, .3 ALLOCATED, .4 RESERVED, .5-.9 ALLOCATED; 198.51.100.7 for the printer; 2001:db8:1::1. */
  const POPULATED = async (d: TestDatabase) => {
    await allocate(d.pool, {address: '192.0.2.3', assignedTo: 'alice'})
    await allocate(d.pool, {address: '192.0.2.4', status: 'RESERVED'})
    await allocate(d.pool, {pool: 'office', count: 5})
    await allocate(d.pool, {address: '198.51.100.7', assignedTo: 'printer', description: '3rd floor'})
    await allocate(d.pool, {pool: 'v6'})
  }
  const mine: TestDatabase[] = []
  /**
   * A database of the test's own, seeded as the shared one and then by `steps`: each test builds
   * what it needs, so that none depends on another having run before it (`-t` runs any one alone).
   * The seed goes in through the domain functions the commands call (the shared database above
   * is seeded through the CLI); `steps` given as commands run through the CLI.
   */
  async function own(label: string, steps: string[][] | ((d: TestDatabase) => Promise<unknown>) = [], before?: (d: TestDatabase) => Promise<unknown>) {
    const d = await freshDatabase(label)
    mine.push(d)
    const r = cliFor(d.url, home)
    await addNetwork(d.pool, {cidr: '192.0.2.0/24', gateway: '192.0.2.1'})
    await addNetwork(d.pool, {cidr: '198.51.100.0/24'})
    await addNetwork(d.pool, {cidr: '2001:db8:1::/64'})
    await addPool(d.pool, {name: 'office', locations: ['paris']})
    await addPool(d.pool, {name: 'v6'})
    await addRange(d.pool, 'office', '192.0.2.0-192.0.2.9')
    await addRange(d.pool, 'v6', '2001:db8:1::/120')
    await before?.(d)
    if (typeof steps === 'function') await steps(d)
    else {
      for (const args of steps) {
        const x = await r(args)
        expect(x.code, `${args.join(' ')}: ${x.stderr}`).toBe(0)
      }
    }
    return {db: d, run: r}
  }
  beforeAll(async () => {
    db = await freshDatabase('addresses')
    run = cliFor(db.url, home)
    for (const args of SEED) {
      const r = await run(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }
  })
  afterAll(async () => Promise.all([db, ...mine].map((d) => d.drop())))

  it('refuses ranges outside every network, overlapping ones, and bad pool names', async () => {
    const before = await snapshot(db)
    const outside = await run(['ranges', 'add', 'office', '203.0.113.1-203.0.113.5'])
    expect(outside.code).toBe(3)
    expect(outside.stderr).toContain('no network holds')
    const across = await run(['ranges', 'add', 'office', '192.0.2.250-198.51.100.5'])
    expect(across.code).toBe(3)
    const overlap = await run(['ranges', 'add', 'v6', '192.0.2.5-192.0.2.20', '--json'])
    expect(overlap.code).toBe(4)
    expect(overlap.json().error).toMatchObject({code: 'overlap', message: expect.stringContaining('pool office')})
    const reversed = await run(['ranges', 'add', 'office', '192.0.2.20-192.0.2.10'])
    expect(reversed.code).toBe(2)
    const noPool = await run(['ranges', 'add', 'nope', '198.51.100.0/28'])
    expect(noPool.code).toBe(3)
    const dupPool = await run(['pools', 'add', 'office'])
    expect(dupPool.code).toBe(4)
    expect(await snapshot(db)).toEqual(before)
  })

  it('hands out the lowest free usable address, skipping network, gateway and PENDING requests', async () => {
    // 192.0.2.0 is the network address and .1 the gateway; a PENDING request holds .2
    await db.sql("INSERT INTO ip_request (family, addr, network_cidr, status) VALUES (4, 3221225986, '192.0.2.0/24', 'PENDING')")
    const r = await run(['ips', 'allocate', '--pool', 'office', '--assigned-to', 'alice', '--assign-type', 'vm', '--json'])
    expect(r.code).toBe(0)
    expect(r.json()).toMatchObject({pool: 'office', addresses: [{address: '192.0.2.3', status: 'ALLOCATED', assignedTo: 'alice', assignType: 'VM', network: '192.0.2.0/24'}]})
    const text = await run(['ips', 'allocate', '--pool', 'office', '--status', 'RESERVED'])
    expect(text.stdout.trim()).toBe('192.0.2.4')
  })

  it('allocates a given address, and refuses taken, unusable and unknown ones', async () => {
    const ok = await run(['ips', 'allocate', '198.51.100.7', '--assigned-to', 'printer', '--description', '3rd floor'])
    expect(ok.code).toBe(0)
    const before = await snapshot(db)
    const taken = await run(['ips', 'allocate', '198.51.100.7', '--json'])
    expect(taken.code).toBe(4)
    expect(taken.json().error.message).toContain('already ALLOCATED to printer')
    for (const [ip, code] of [['192.0.2.1', 2], ['192.0.2.255', 2], ['192.0.2.0', 2], ['203.0.113.9', 3], ['192.0.2.300', 2], ['fe80::1%eth0', 2]] as const) {
      const r = await run(['ips', 'allocate', ip])
      expect(r.code, ip).toBe(code)
    }
    const notInPool = await run(['ips', 'allocate', '198.51.100.8', '--pool', 'office'])
    expect(notInPool.code).toBe(2)
    const neither = await run(['ips', 'allocate'])
    expect(neither.code).toBe(2)
    expect(await snapshot(db)).toEqual(before)
  })

  it('allocates --count all or nothing, and says how many were free when exhausted', async () => {
    const {db, run} = await own('addresses_count', [['ips', 'allocate', '--pool', 'office', '--count', '2']], pendingTwo)
    const before = await snapshot(db)
    const tooMany = await run(['ips', 'allocate', '--pool', 'office', '--count', '7', '--json'])
    expect(tooMany.code).toBe(4)
    expect(tooMany.json().error).toMatchObject({code: 'exhausted', message: 'pool office is exhausted: 7 requested, 5 free'})
    expect(await snapshot(db)).toEqual(before)
    const five = await run(['ips', 'allocate', '--pool', 'office', '--count', '5', '--json'])
    expect(five.json().addresses.map((a: any) => a.address)).toEqual(['192.0.2.5', '192.0.2.6', '192.0.2.7', '192.0.2.8', '192.0.2.9'])
    const none = await run(['ips', 'allocate', '--pool', 'office'])
    expect(none.code).toBe(4)
    expect(none.stderr).toContain('0 free')
  })

  it('allocates IPv6 next-free, skipping the subnet-router anycast address', async () => {
    const r = await run(['ips', 'allocate', '--pool', 'v6', '--count', '2', '--json'])
    expect(r.json().addresses.map((a: any) => a.address)).toEqual(['2001:db8:1::1', '2001:db8:1::2'])
  })

  it('releases addresses all or nothing', async () => {
    const {db, run} = await own('addresses_release', [['ips', 'allocate', '192.0.2.3'], ['ips', 'allocate', '--pool', 'v6', '--count', '2']], pendingTwo)
    const before = await snapshot(db)
    const partial = await run(['ips', 'release', '192.0.2.3', '192.0.2.200'])
    expect(partial.code).toBe(3)
    expect(partial.stderr).toContain('192.0.2.200')
    expect(await snapshot(db)).toEqual(before)
    const ok = await run(['ips', 'release', '192.0.2.3', '2001:db8:1::2', '--json'])
    expect(ok.code).toBe(0)
    expect(ok.json().map((a: any) => a.address)).toEqual(['192.0.2.3', '2001:db8:1::2'])
    const again = await run(['ips', 'allocate', '--pool', 'office', '--json'])
    expect(again.json().addresses[0].address).toBe('192.0.2.3')
  })

  it('lists and shows addresses with filters, in text and JSON', async () => {
    const {run} = await own('addresses_list', POPULATED, pendingTwo)
    const all = await run(['ips', 'list', '--json'])
    expect(all.json().map((a: any) => a.address)).toEqual(['192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6', '192.0.2.7', '192.0.2.8', '192.0.2.9', '198.51.100.7', '2001:db8:1::1'])
    const reserved = await run(['ips', 'list', '--status', 'RESERVED', '--json'])
    expect(reserved.json().map((a: any) => a.address)).toEqual(['192.0.2.4'])
    const byNet = await run(['ips', 'list', '--network', '198.51.100.0/24'])
    expect(byNet.stdout).toMatch(/198\.51\.100\.7\s+ALLOCATED\s+printer/)
    const byPool = await run(['ips', 'list', '--pool', 'v6', '--json'])
    expect(byPool.json()).toHaveLength(1)
    const show = await run(['ips', 'show', '192.0.2.2', '--json'])
    expect(show.json()).toMatchObject({address: '192.0.2.2', status: 'FREE', network: '192.0.2.0/24', pool: 'office', requests: [{status: 'PENDING'}]})
    const gw = await run(['ips', 'show', '192.0.2.1'])
    expect(gw.stdout).toContain('not usable: it is the gateway')
  })

  it('reports utilization per network and per pool', async () => {
    const {run} = await own('addresses_use', POPULATED, pendingTwo)
    const list = await run(['networks', 'list', '--json'])
    expect(list.json().find((n: any) => n.cidr === '192.0.2.0/24')).toMatchObject({used: 7, usable: '253'})
    const over = await run(['networks', 'list', '--over', '2', '--json'])
    expect(over.json().map((n: any) => n.cidr)).toEqual(['192.0.2.0/24'])
    const pool = await run(['pools', 'show', 'office', '--json'])
    expect(pool.json()).toMatchObject({size: '10', used: 7, byStatus: {ALLOCATED: 6, RESERVED: 1, USED: 0}})
    const pools = await run(['pools', 'list', '--location', 'berlin', '--json'])
    expect(pools.json().map((p: any) => p.name)).toEqual(['v6'])
  })

  it.skipIf(!hasPty)('asks before removing a range that holds addresses: exit 6 without a terminal, yes through a terminal', async () => {
    const {db, run} = await own('addresses_range_remove', [['ips', 'allocate', '--pool', 'v6']])
    const ranges = (await run(['ranges', 'list', '--pool', 'v6', '--json'])).json()
    const before = await snapshot(db)
    const refused = await run(['ranges', 'remove', String(ranges[0].id)])
    expect(refused.code).toBe(6)
    expect(refused.stderr).toContain('--yes')
    expect(await snapshot(db)).toEqual(before)

    const session = runPty(['ranges', 'remove', String(ranges[0].id)], {env: {IPAM_DATABASE_URL: db.url}, home})
    await session.expect('release its 1 address?')
    session.write('n\r')
    await session.expect('nothing was changed')
    expect((await session.exited()).code).toBe(6)
    expect(await snapshot(db)).toEqual(before)

    const yes = runPty(['ranges', 'remove', String(ranges[0].id)], {env: {IPAM_DATABASE_URL: db.url}, home})
    await yes.expect('release its 1 address?')
    yes.write('y\r')
    await yes.expect('Removed range')
    expect((await yes.exited()).code).toBe(0)
    expect(await db.sql('SELECT * FROM ip WHERE family = 6')).toEqual([])
  })

  it('removes a network with --yes, saying what went', async () => {
    const {db, run} = await own('addresses_net_remove', [['ips', 'allocate', '198.51.100.7', '--assigned-to', 'printer']])
    const net = await run(['networks', 'remove', '198.51.100.0/24', '--yes'])
    expect(net.code).toBe(0)
    expect(net.stdout).toContain(' and 1 address.')
    await expectSummaryConsistent(db)
  })

  it('writes every change to the audit log', async () => {
    // its own database and commands: it does not depend on the tests above having run
    const own = await freshDatabase('addresses_audit')
    const ownRun = cliFor(own.url)
    try {
      for (const args of [
        ['networks', 'add', '10.61.0.0/24'],
        ['networks', 'add', '10.62.0.0/24'],
        ['pools', 'add', 'a'],
        ['ranges', 'add', 'a', '10.61.0.10-10.61.0.19'],
        ['ips', 'allocate', '--pool', 'a'],
        ['ips', 'release', '10.61.0.10'],
        ['ranges', 'remove', 'RANGE', '--yes'],
        ['pools', 'remove', 'a', '--yes'],
        ['networks', 'remove', '10.62.0.0/24', '--yes'],
      ]) {
        const [range] = await own.sql('SELECT id FROM ippool_range')
        const r = await ownRun(args.map((a) => (a === 'RANGE' ? String(range?.id) : a)))
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
      }
      const log = await ownRun(['log', '--limit', '200', '--json'])
      const actions = log.json().map((e: any) => e.action).sort()
      expect(actions).toEqual(['ips.allocate', 'ips.release', 'networks.add', 'networks.add', 'networks.remove', 'pools.add', 'pools.remove', 'ranges.add', 'ranges.remove'])
    } finally {
      await own.drop()
    }
  })
})

describe('ips list --json and pools remove, each on its own database', () => {
  it('ips list --json gives each address whole: network, status, assigned-to, type, description, hostname', async () => {
    const db = await freshDatabase('ips_list_json')
    const run = cliFor(db.url)
    try {
      for (const args of [
        ['networks', 'add', '192.0.2.0/24'],
        ['networks', 'add', '192.0.2.128/25'],
        ['networks', 'add', '2001:db8:7::/64'],
        ['ips', 'allocate', '192.0.2.5', '--assigned-to', 'alice', '--assign-type', 'vm', '--description', 'build box', '--hostname', 'build.example.com'],
        ['ips', 'allocate', '192.0.2.200', '--status', 'RESERVED'],
        ['ips', 'allocate', '2001:db8:7::9', '--status', 'USED', '--assigned-to', 'printer'],
      ]) {
        const r = await run(args)
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
      }
      const list = await run(['ips', 'list', '--json'])
      expect(list.code).toBe(0)
      const time = expect.stringMatching(/^\d{4}-\d\d-\d\d/)
      expect(list.json()).toEqual([
        {address: '192.0.2.5', family: 4, status: 'ALLOCATED', assignedTo: 'alice', assignType: 'VM', description: 'build box', hostname: 'build.example.com', mac: null, network: '192.0.2.0/24', createdAt: time, updatedAt: time},
        // the most specific network holds it
        {address: '192.0.2.200', family: 4, status: 'RESERVED', assignedTo: null, assignType: null, description: null, hostname: null, mac: null, network: '192.0.2.128/25', createdAt: time, updatedAt: time},
        {address: '2001:db8:7::9', family: 6, status: 'USED', assignedTo: 'printer', assignType: null, description: null, hostname: null, mac: null, network: '2001:db8:7::/64', createdAt: time, updatedAt: time},
      ])
    } finally {
      await db.drop()
    }
  })

  it('removes a pool with its ranges and addresses with --yes, saying what went, and leaves other pools alone', async () => {
    const db = await freshDatabase('pool_remove')
    const run = cliFor(db.url)
    try {
      for (const args of [
        ['networks', 'add', '10.60.0.0/24'],
        ['networks', 'add', '2001:db8:60::/64'],
        ['pools', 'add', 'doomed'],
        ['pools', 'add', 'kept'],
        ['ranges', 'add', 'doomed', '10.60.0.10-10.60.0.19'],
        ['ranges', 'add', 'doomed', '2001:db8:60::10-2001:db8:60::1f'],
        ['ranges', 'add', 'kept', '10.60.0.100-10.60.0.109'],
        ['ips', 'allocate', '--pool', 'doomed', '--count', '3'],
        ['ips', 'allocate', '2001:db8:60::15', '--pool', 'doomed'],
        ['ips', 'allocate', '--pool', 'kept'],
        ['ips', 'allocate', '10.60.0.50'],
      ]) {
        const r = await run(args)
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
      }
      const refused = await run(['pools', 'remove', 'doomed'])
      expect(refused.code).toBe(6)
      const text = await run(['pools', 'remove', 'doomed', '--yes'])
      expect(text.code, text.stderr).toBe(0)
      expect(text.stderr).toContain('Removing pool doomed also removes 2 ranges and 4 addresses.')
      expect(text.stdout).toContain('Removed pool doomed, 2 ranges and 4 addresses.')
      expect(await db.sql("SELECT name FROM ippool")).toEqual([{name: 'kept'}])
      expect((await db.sql('SELECT INET_NTOA(start_addr) AS s FROM ippool_range')).map((r: any) => r.s)).toEqual(['10.60.0.100'])
      // the pool's addresses went; the other pool's and the one outside every pool stayed
      expect((await db.sql('SELECT INET_NTOA(addr) AS a FROM ip WHERE family = 4 ORDER BY addr')).map((r: any) => r.a)).toEqual(['10.60.0.50', '10.60.0.100'])
      expect(await db.sql('SELECT addr FROM ip WHERE family = 6')).toEqual([])
      const log = await db.sql("SELECT detail FROM ipam_audit WHERE action = 'pools.remove'")
      expect(log).toHaveLength(1)
      expect(typeof log[0].detail === 'string' ? JSON.parse(log[0].detail) : log[0].detail).toMatchObject({name: 'doomed', addresses: 4, ranges: 2})
      await expectSummaryConsistent(db)
    } finally {
      await db.drop()
    }
  })
})

describe('removing nested networks', () => {
  it('removes only the addresses no other network holds', async () => {
    const db = await freshDatabase('nested')
    const run = cliFor(db.url)
    try {
      for (const args of [['networks', 'add', '10.9.0.0/16'], ['networks', 'add', '10.9.1.0/24'], ['networks', 'add', '10.9.1.128/25'], ['ips', 'allocate', '10.9.0.5'], ['ips', 'allocate', '10.9.1.5'], ['ips', 'allocate', '10.9.1.200'], ['ips', 'allocate', '10.9.2.7']]) {
        expect((await run(args)).code, args.join(' ')).toBe(0)
      }
      // the /24 sits inside the /16: its addresses stay with the parent
      const child = await run(['networks', 'remove', '10.9.1.0/24', '--json'])
      expect(child.json()).toMatchObject({addresses: 0, ranges: 0})
      expect((await run(['ips', 'list', '--json'])).json()).toHaveLength(4)
      // the /16: its own addresses go, those of the remaining /25 stay
      const parent = await run(['networks', 'remove', '10.9.0.0/16', '--yes', '--json'])
      expect(parent.json()).toMatchObject({addresses: 3})
      expect((await run(['ips', 'list', '--json'])).json().map((a: any) => a.address)).toEqual(['10.9.1.200'])
      await expectSummaryConsistent(db)
    } finally {
      await db.drop()
    }
  })
})

describe('next-free allocation with hand-written SQL and many addresses', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  beforeAll(async () => {
    db = await freshDatabase('nextfree')
    run = cliFor(db.url)
    await run(['networks', 'add', '10.0.0.0/19'])
    await run(['pools', 'add', 'big'])
    await run(['ranges', 'add', 'big', '10.0.0.0/19'])
  })
  afterAll(() => db.drop())

  it('skips full blocks and finds the first gap past a 4096-address boundary', async () => {
    // 10.0.0.1 .. 10.0.20.0 used: 5120 addresses across the first block boundary
    const base = 0x0a000000
    const rows: unknown[][] = []
    for (let i = 1; i <= 5120; i++) rows.push([4, base + i, 'USED'])
    for (let i = 0; i < rows.length; i += 1000) await db.pool.query('INSERT INTO ip (family, addr, status) VALUES ?', [rows.slice(i, i + 1000)])
    const r = await run(['ips', 'allocate', '--pool', 'big', '--json'])
    expect(r.json().addresses[0].address).toBe('10.0.20.1')
    await expectSummaryConsistent(db)
  })

  it('hands out an address deleted by hand with SQL again, lowest first', async () => {
    await db.sql('DELETE FROM ip WHERE family = 4 AND addr = ?', [0x0a000000 + 100])
    const r = await run(['ips', 'allocate', '--pool', 'big', '--json'])
    expect(r.json().addresses[0].address).toBe('10.0.0.100')
    await expectSummaryConsistent(db)
  })

  it('gives 10 processes allocating 20 addresses each from one pool 200 distinct addresses', async () => {
    const results = await Promise.all(Array.from({length: 10}, () => run(['ips', 'allocate', '--pool', 'big', '--count', '20', '--json'])))
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    const all = results.flatMap((r) => r.json().addresses.map((a: any) => a.address))
    expect(new Set(all).size).toBe(200)
    expect(all).toContain('10.0.20.2')
    await expectSummaryConsistent(db)
  })
})

describe('the documented operational SQL', () => {
  it('succeeds on a populated database, which the tool still reads and uses correctly', async () => {
    const db = await freshDatabase('docsql')
    const run = cliFor(db.url)
    try {
      for (const args of [
        ['networks', 'add', '192.0.2.0/24'],
        ['pools', 'add', 'p'],
        ['ranges', 'add', 'p', '192.0.2.0/25'],
        ['ips', 'allocate', '--pool', 'p', '--count', '5'],
        ['users', 'create', 'admin@example.com', '--no-password'],
      ]) expect((await run(args)).code).toBe(0)
      await db.sql(`update auth_user set roles='["@admin"]' where email='admin@example.com'`)
      await db.sql('DELETE FROM ip ;')
      await db.sql('DELETE FROM ippool_range ;')
      await db.sql('DELETE FROM ippool ;')
      await db.sql('DELETE FROM ipnet ;')
      expect((await run(['users', 'list', '--json'])).json()[0]).toMatchObject({email: 'admin@example.com', admin: true})
      expect((await run(['networks', 'list', '--json'])).json()).toEqual([])
      expect((await run(['ips', 'list', '--json'])).json()).toEqual([])
      await expectSummaryConsistent(db)
      for (const args of [['networks', 'add', '192.0.2.0/24'], ['pools', 'add', 'p'], ['ranges', 'add', 'p', '192.0.2.0/25']]) expect((await run(args)).code).toBe(0)
      const again = await run(['ips', 'allocate', '--pool', 'p', '--json'])
      expect(again.json().addresses[0].address).toBe('192.0.2.1')
    } finally {
      await db.drop()
    }
  })
})

describe('import and export', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const dir = tempHome()
  beforeAll(async () => {
    db = await freshDatabase('importexport')
    run = cliFor(db.url)
    await run(['networks', 'add', '192.0.2.0/24'])
    await run(['networks', 'add', '2001:db8::/64'])
  })
  afterAll(() => db.drop())

  it('imports a CSV with quoted fields and exports it back exactly', async () => {
    const csv = 'address,status,assigned_to,assign_type,description,hostname,mac\n' +
      '192.0.2.10,USED,"Smith, J",VM,"two\nlines",vm-10.example.com,00:1a:2b:3c:4d:5e\n' +
      '192.0.2.11,RESERVED,,,,,\n' +
      '2001:db8::a,ALLOCATED,host-a,SERVER,"say ""hi""",,\n'
    const file = join(dir, 'in.csv')
    await writeFile(file, csv)
    const r = await run(['ips', 'import', file, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({imported: 3, skipped: 0})
    const out = await run(['ips', 'export'])
    expect(out.stdout).toBe(csv)
    const out2 = join(dir, 'out.csv')
    await run(['ips', 'export', '-o', out2])
    await run(['ips', 'release', '192.0.2.10', '192.0.2.11', '2001:db8::a'])
    expect((await run(['ips', 'import', out2])).code).toBe(0)
    expect((await run(['ips', 'export'])).stdout).toBe(csv)
  })

  it('stops at a bad row with its line number and imports nothing', async () => {
    const before = await snapshot(db)
    const cases: [string, RegExp][] = [
      ['192.0.2.20,USED,,,\n192.0.2.300,USED,,,\n', /line 2: invalid address "192\.0\.2\.300"/],
      ['192.0.2.20,USED,,,\n203.0.113.5,USED,,,\n', /line 2: no network contains 203\.0\.113\.5/],
      ['192.0.2.20,USED,,,\n192.0.2.21,BOGUS,,,\n', /line 2: invalid status/],
      ['192.0.2.20,USED,,,\n192.0.2.21,USED,,\n', /line 2: expected 5 columns/],
      ['192.0.2.20,USED,,,\n192.0.2.20,USED,,,\n', /line 2: 192\.0\.2\.20 is already allocated/],
      ['192.0.2.10,USED,,,\n', /line 1: 192\.0\.2\.10 is already allocated/],
      ['192.0.2.0,USED,,,\n', /line 1: .*network address/],
    ]
    for (const [content, message] of cases) {
      const file = join(dir, 'bad.csv')
      await writeFile(file, content)
      const r = await run(['ips', 'import', file])
      expect(r.code, content).toBe(2)
      expect(r.stderr).toMatch(message)
    }
    expect(await snapshot(db)).toEqual(before)
  })

  it('skips and reports bad rows with --skip-invalid', async () => {
    const file = join(dir, 'mixed.csv')
    await writeFile(file, '192.0.2.30,USED,,,\nnot-an-ip,USED,,,\n192.0.2.30,USED,,,\n192.0.2.31,ALLOCATED,x,,\n')
    const r = await run(['ips', 'import', file, '--skip-invalid', '--json'])
    expect(r.code).toBe(0)
    expect(r.json()).toMatchObject({imported: 2, skipped: 2, problems: [{line: 2}, {line: 3}]})
  })

  it('exits 3 for a missing file', async () => {
    const r = await run(['ips', 'import', join(dir, 'nope.csv')])
    expect(r.code).toBe(3)
  })
})
