import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseCidr} from '../../src/net/ip.js'
import {cliFor, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'

let db: TestDatabase
let run: ReturnType<typeof cliFor>
beforeAll(async () => {
  db = await freshDatabase('cli_subnets')
  run = cliFor(db.url, tempHome())
})
afterAll(async () => {
  await db.drop()
})

async function ok(args: string[]) {
  const r = await run(args)
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0)
  return r
}

/** No two of these CIDRs share an address. */
function expectDisjoint(cidrs: string[]) {
  const spans = cidrs.map((c) => parseCidr(c)).sort((a, b) => (a.network < b.network ? -1 : 1))
  for (let i = 1; i < spans.length; i++) expect(spans[i].network > spans[i - 1].broadcast, `${cidrs.join(' ')}`).toBe(true)
}

const childCount = async (cidr: string) => {
  const c = parseCidr(cidr)
  return Number((await db.sql('SELECT COUNT(*) AS n FROM ipnet WHERE family = ? AND network >= ? AND broadcast <= ? AND prefix > ?', [c.family, c.network, c.broadcast, c.prefix]))[0].n)
}

describe('networks add --from', () => {
  it('prints the carved CIDRs one a line; --json gives the created networks', async () => {
    await ok(['networks', 'add', '10.0.0.0/16', '--name', 'site'])
    const r = await ok(['networks', 'add', '--from', '10.0.0.0/16', '--prefix', '24', '--count', '2', '--name', 'rack', '--gateway-offset', '1'])
    expect(r.stdout).toBe('10.0.0.0/24\n10.0.1.0/24\n')
    const j = (await ok(['networks', 'add', '--from', '10.0.0.0/16', '--prefix', '23', '--vlan', '30', '--location', 'paris', '--note', 'carved', '--json'])).json()
    expect(j).toHaveLength(1)
    expect(j[0]).toMatchObject({cidr: '10.0.2.0/23', vlan: 30, locations: ['paris'], note: 'carved', gateway: null})
    // Piped input (a `while read` loop around the command) is not taken for the CIDR argument.
    const piped = await run(['networks', 'add', '--from', '10.0.0.0/16', '--prefix', '24'], {input: '10.9.9.0/24\nmore\n'})
    expect([piped.code, piped.stdout], piped.stderr).toEqual([0, '10.0.4.0/24\n'])
    const shown = (await ok(['networks', 'show', '10.0.1.0/24', '--json'])).json()
    expect([shown.name, shown.gateway]).toEqual(['rack', '10.0.1.1'])
  })

  it('carves IPv6 /64s from a /48 and /56s from a /32', async () => {
    await ok(['networks', 'add', '2001:db8:a::/48'])
    expect((await ok(['networks', 'add', '--from', '2001:db8:a::/48', '--prefix', '64', '--count', '3'])).stdout).toBe('2001:db8:a::/64\n2001:db8:a:1::/64\n2001:db8:a:2::/64\n')
    await ok(['networks', 'add', '2001:db8::/32'])
    expect((await ok(['networks', 'add', '--from', '2001:db8::/32', '--prefix', '56'])).stdout).toBe('2001:db8::/56\n')
  })

  it('an exhausted parent exits 4 saying how many of that size are free, and --count stays all or nothing', async () => {
    await ok(['networks', 'add', '10.1.0.0/22'])
    await ok(['networks', 'add', '10.1.2.0/24'])
    const r = await run(['networks', 'add', '--from', '10.1.0.0/22', '--prefix', '24', '--count', '4'])
    expect(r.code).toBe(4)
    expect(r.stderr).toContain('10.1.0.0/22 has no room for 4 /24 networks: 3 /24 free')
    expect(r.stderr).toContain('--count is all or nothing')
    expect(await childCount('10.1.0.0/22')).toBe(1)
    const j = await run(['networks', 'add', '--from', '10.1.0.0/22', '--prefix', '23', '--count', '2', '--json'])
    expect(j.code).toBe(4)
    expect(j.json().error).toMatchObject({code: 'exhausted', details: {requested: 2, free: '1'}})
  })

  it('bad input exits 2 with a message naming the value, and creates nothing', async () => {
    await ok(['networks', 'add', '10.2.0.0/16'])
    const cases: [string[], string][] = [
      [['--from', '10.2.0.0/16', '--prefix', '16'], '--prefix 16'],
      [['--from', '10.2.0.0/16', '--prefix', '12'], '--prefix 12'],
      [['--from', '10.2.0.0/16', '--prefix', '33'], '--prefix 33'],
      [['--from', '10.2.0.0/16', '--prefix', '24', '--count', '0'], '--count 0'],
      [['--from', '10.99.0.0/16', '--prefix', '24'], '10.99.0.0/16'],
      [['--from', 'nonsense', '--prefix', '24'], 'nonsense'],
      [['10.2.5.0/24', '--from', '10.2.0.0/16', '--prefix', '24'], '10.2.5.0/24'],
      [['--prefix', '24'], 'from'],
      [['--from', '10.2.0.0/16'], 'prefix'],
      [['--from', '10.2.0.0/16', '--prefix', '24', '--gateway', '10.2.0.1'], 'gateway'],
      [[], 'give the network to add'],
    ]
    for (const [args, named] of cases) {
      const r = await run(['networks', 'add', ...args])
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stderr).toContain(named)
    }
    expect(await childCount('10.2.0.0/16')).toBe(0)
    expect((await run(['networks', 'add', '--from', '10.2.0.0/16', '--prefix', '33', '--json'])).json().error.message).toContain('--prefix 33')
  })

  it('10 processes x --count 5 /24s from one /16 at once: 50 distinct, non-overlapping networks', async () => {
    await ok(['networks', 'add', '10.50.0.0/16'])
    // A few children already there, of mixed sizes, so that the search has gaps to walk.
    for (const c of ['10.50.0.0/25', '10.50.3.0/24', '10.50.8.0/22']) await ok(['networks', 'add', c])
    const rs = await Promise.all(Array.from({length: 10}, () => run(['networks', 'add', '--from', '10.50.0.0/16', '--prefix', '24', '--count', '5', '--json'], {timeoutMs: 120_000})))
    expect(rs.map((r) => r.code), rs.map((r) => r.stderr).join('\n')).toEqual(Array(10).fill(0))
    const got = rs.flatMap((r) => r.json().map((n: {cidr: string}) => n.cidr))
    expect(got).toHaveLength(50)
    expect(new Set(got).size).toBe(50)
    expectDisjoint([...got, '10.50.0.0/25', '10.50.3.0/24', '10.50.8.0/22'])
    // Lowest first: together they fill the lowest 50 free /24 slots.
    expect([...got].sort((a, b) => (parseCidr(a).network < parseCidr(b).network ? -1 : 1)).at(-1)).toBe('10.50.55.0/24')
    expect(await childCount('10.50.0.0/16')).toBe(53)
  }, 300_000)

  it('6 processes carving /64s from one IPv6 /48 at once: no overlap', async () => {
    await ok(['networks', 'add', '2001:db8:50::/48'])
    const rs = await Promise.all(Array.from({length: 6}, (_, i) => run(['networks', 'add', '--from', '2001:db8:50::/48', '--prefix', i % 2 ? '64' : '63', '--count', '3', '--json'], {timeoutMs: 120_000})))
    expect(rs.map((r) => r.code), rs.map((r) => r.stderr).join('\n')).toEqual(Array(6).fill(0))
    const got = rs.flatMap((r) => r.json().map((n: {cidr: string}) => n.cidr))
    expect(got).toHaveLength(18)
    expectDisjoint(got)
  }, 300_000)
})

describe('networks free, pools free, networks show', () => {
  it('networks free prints the minimal CIDR list; --prefix counts the blocks of a length', async () => {
    await ok(['networks', 'add', '172.16.0.0/16'])
    for (const c of ['172.16.0.0/24', '172.16.2.0/23', '172.16.128.0/17']) await ok(['networks', 'add', c])
    const r = await ok(['networks', 'free', '172.16.0.0/16'])
    expect(r.stdout).toBe('172.16.1.0/24\n172.16.4.0/22\n172.16.8.0/21\n172.16.16.0/20\n172.16.32.0/19\n172.16.64.0/18\n')
    expect(r.stderr).toContain('32000 free addresses in 6 blocks; the largest is 172.16.64.0/18.')
    const p = await ok(['networks', 'free', '172.16.0.0/16', '--prefix', '24', '--first', '2'])
    expect(p.stdout).toBe('125 free /24 blocks in 172.16.0.0/16; the first 2:\n172.16.1.0/24\n172.16.4.0/24\n')
    const j = (await ok(['networks', 'free', '172.16.0.0/16', '--json'])).json()
    expect(j).toMatchObject({network: {cidr: '172.16.0.0/16'}, blocks: 6, largest: '172.16.64.0/18', addresses: '32000'})
    const bad = await run(['networks', 'free', '172.16.0.0/16', '--prefix', '8'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--prefix 8')
    expect((await run(['networks', 'free', '172.99.0.0/16'])).code).toBe(3)
  })

  it('networks show has the free-space line', async () => {
    const r = await ok(['networks', 'show', '172.16.0.0/16'])
    expect(r.stdout).toMatch(/Free space\s+6 free blocks not in a child network, the largest 172\.16\.64\.0\/18/)
    const j = (await ok(['networks', 'show', '172.16.0.0/16', '--json'])).json()
    expect(j.freeSpace).toEqual({addresses: '32000', blocks: 6, largest: '172.16.64.0/18'})
  })

  it('pools free lists free ranges with their CIDRs, summarised', async () => {
    await ok(['networks', 'add', '198.51.100.0/24', '--gateway', '198.51.100.1'])
    await ok(['pools', 'add', 'edge'])
    await ok(['ranges', 'add', 'edge', '198.51.100.0/24'])
    await ok(['ips', 'allocate', '--pool', 'edge', '--count', '10'])
    const r = await ok(['pools', 'free', 'edge'])
    expect(r.stdout).toContain('198.51.100.12-198.51.100.254')
    expect(r.stdout).toContain('198.51.100.12/30 198.51.100.16/28')
    expect(r.stderr).toContain('243 free addresses in pool edge, 1 range.')
    const j = (await ok(['pools', 'free', 'edge', '--json'])).json()
    expect(j.ranges).toEqual([{range: '198.51.100.12-198.51.100.254', size: '243', network: '198.51.100.0/24', cidrs: ['198.51.100.12/30', '198.51.100.16/28', '198.51.100.32/27', '198.51.100.64/26', '198.51.100.128/26', '198.51.100.192/27', '198.51.100.224/28', '198.51.100.240/29', '198.51.100.248/30', '198.51.100.252/31', '198.51.100.254/32']}])
  })

  it('the new commands have --help with examples', async () => {
    for (const cmd of [['networks', 'add'], ['networks', 'free'], ['pools', 'free']]) {
      const r = await ok([...cmd, '--help'])
      expect(r.stdout).toContain('EXAMPLES')
      expect(r.stdout).toContain('--json')
    }
    expect((await ok(['networks', 'add', '--help'])).stdout).toContain('--from 10.0.0.0/8 --prefix 24')
  })
})
