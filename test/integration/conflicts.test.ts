import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Conflict, findConflicts, overlappingPairs} from '../../src/integration/conflicts.js'
import {cidrOf, type Family, formatCidr, formatRange, mask, maxValue, parseCidr, parseRange} from '../../src/net/ip.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {seeded as random} from '../../bench/seeded.js'


// Small spaces in both families, so that random networks and ranges collide often.
const SPACES: Record<Family, {base: bigint; bits: number}> = {
  4: {base: parseCidr('10.9.0.0/16').network, bits: 16},
  6: {base: parseCidr('2001:db8::/112').network, bits: 16},
}

function randomNetwork(rnd: () => number) {
  const family: Family = rnd() < 0.5 ? 4 : 6
  const {base, bits} = SPACES[family]
  const total = family === 4 ? 32 : 128
  const prefix = total - bits + Math.floor(rnd() * (bits - 1)) // /16../31 and /112../127
  const network = (base + BigInt(Math.floor(rnd() * 2 ** bits))) & mask(family, prefix)
  const c = cidrOf(family, network, prefix)
  return {family, network: c.network, broadcast: c.broadcast, prefix, cidr: formatCidr(c)}
}

function randomRange(rnd: () => number) {
  const family: Family = rnd() < 0.5 ? 4 : 6
  const {base, bits} = SPACES[family]
  const start = base + BigInt(Math.floor(rnd() * 2 ** bits))
  const end = start + BigInt(Math.floor(rnd() * 2 ** (rnd() < 0.5 ? 4 : 10)))
  return {family, start, end: end > base + BigInt(2 ** bits - 1) ? base + BigInt(2 ** bits - 1) : end}
}

async function load(db: TestDatabase, nets: ReturnType<typeof randomNetwork>[], ranges: ({pool: string} & ReturnType<typeof randomRange>)[]) {
  if (nets.length > 0) await db.sql('INSERT INTO ipnet (family, network, broadcast, prefix, cidr) VALUES ?', [nets.map((n) => [n.family, String(n.network), String(n.broadcast), n.prefix, n.cidr])])
  const pools = [...new Set(ranges.map((r) => r.pool))]
  if (pools.length === 0) return
  await db.sql('INSERT INTO ippool (name) VALUES ?', [pools.map((p) => [p])])
  // ranges need some network to belong to; which one does not matter to the conflict check
  if (nets.length === 0) await db.sql("INSERT INTO ipnet (family, network, broadcast, prefix, cidr) VALUES (4, 0, 0, 32, '0.0.0.0/32')")
  const [{id: netId}] = await db.sql('SELECT MIN(id) AS id FROM ipnet')
  for (const r of ranges) await db.sql('INSERT INTO ippool_range (pool_id, ipnet_id, family, start_addr, end_addr) SELECT p.id, ?, ?, ?, ? FROM ippool p WHERE p.name = ?', [netId, r.family, String(r.start), String(r.end), r.pool])
}

/** The old definition, pair by pair: what the sweep must find, no more and no less. */
function bruteForce(pNets: ReturnType<typeof randomNetwork>[], mNets: ReturnType<typeof randomNetwork>[], pRanges: ({pool: string} & ReturnType<typeof randomRange>)[], mRanges: ({pool: string} & ReturnType<typeof randomRange>)[]): Conflict[] {
  const out: Conflict[] = []
  for (const p of pNets)
    for (const m of mNets)
      if (m.family === p.family && m.broadcast >= p.network && m.network <= p.broadcast)
        out.push({kind: m.network === p.network && m.prefix === p.prefix ? 'same network' : 'nested network', platform: p.cidr, master: m.cidr})
  for (const p of pRanges)
    for (const m of mRanges)
      if (m.family === p.family && m.start <= p.end && m.end >= p.start)
        out.push({kind: 'overlapping range', platform: `${formatRange(p)} (pool ${p.pool})`, master: `${formatRange(m)} (pool ${m.pool})`})
  const names = new Set(mRanges.map((r) => r.pool))
  for (const name of [...new Set(pRanges.map((r) => r.pool))]) if (names.has(name)) out.push({kind: 'same pool name', platform: name, master: name})
  return out
}

const key = (c: Conflict) => `${c.kind}|${c.platform}|${c.master}`
const sorted = (cs: Conflict[]) => cs.map(key).sort()

describe('findConflicts (sort and sweep) against the pair-by-pair definition', () => {
  let platform: TestDatabase
  let master: TestDatabase
  beforeAll(async () => {
    ;[platform, master] = await Promise.all([freshDatabase('conflicts_platform'), freshDatabase('conflicts_master')])
  })
  afterAll(async () => Promise.all([platform?.drop(), master?.drop()]))

  const reset = async () => {
    for (const db of [platform, master]) for (const t of ['ippool_range', 'ippool', 'ipnet']) await db.sql(`DELETE FROM ${t}`)
  }

  it('names each kind of conflict once, both ways of nesting, both families, and leaves adjacent networks and ranges alone', async () => {
    await reset()
    const net = (cidr: string) => {
      const c = parseCidr(cidr)
      return {family: c.family, network: c.network, broadcast: c.broadcast, prefix: c.prefix, cidr: formatCidr(c)}
    }
    const range = (pool: string, text: string) => ({pool, ...parseRange(text)})
    await load(
      platform,
      ['10.1.0.0/24', '10.2.0.0/16', '10.3.5.0/24', '10.4.0.0/25', '2001:db8:1::/64', '2001:db8:2::/48', '10.7.0.0/24'].map(net),
      [range('plat-a', '10.50.0.10-10.50.0.20'), range('plat-a', '10.50.1.0-10.50.1.9'), range('shared', '2001:db8:99::1-2001:db8:99::ff')],
    )
    await load(
      master,
      // same; nested inside the platform's; the platform's nested inside it; adjacent (10.4.0.128/25); v6 same and nested; same bits, other family
      ['10.1.0.0/24', '10.2.3.0/24', '10.3.0.0/16', '10.4.0.128/25', '2001:db8:1::/64', '2001:db8:2:5::/64', '::a07:0/120'].map(net),
      [range('mast-a', '10.50.0.20-10.50.0.30'), range('mast-b', '10.50.0.21-10.50.0.255'), range('mast-c', '10.50.1.10-10.50.1.20'), range('shared', '2001:db8:99::80-2001:db8:99::100')],
    )
    const found = await findConflicts(platform.pool, master.pool)
    expect(found).toEqual([
      {kind: 'same network', platform: '10.1.0.0/24', master: '10.1.0.0/24'},
      {kind: 'nested network', platform: '10.2.0.0/16', master: '10.2.3.0/24'},
      {kind: 'nested network', platform: '10.3.5.0/24', master: '10.3.0.0/16'},
      {kind: 'same network', platform: '2001:db8:1::/64', master: '2001:db8:1::/64'},
      {kind: 'nested network', platform: '2001:db8:2::/48', master: '2001:db8:2:5::/64'},
      // touching at one address (.20) overlaps; .21- and 10.50.1.10- only border the platform's ranges
      {kind: 'overlapping range', platform: '10.50.0.10-10.50.0.20 (pool plat-a)', master: '10.50.0.20-10.50.0.30 (pool mast-a)'},
      {kind: 'overlapping range', platform: '2001:db8:99::1-2001:db8:99::ff (pool shared)', master: '2001:db8:99::80-2001:db8:99::100 (pool shared)'},
      {kind: 'same pool name', platform: 'shared', master: 'shared'},
    ])
  })

  it.each([1, 2, 3])('finds exactly the pairs a pair-by-pair comparison finds, on a few hundred random networks and ranges (seed %i)', async (seed) => {
    await reset()
    const rnd = random(seed)
    const side = (prefix: string) => {
      const nets = new Map<string, ReturnType<typeof randomNetwork>>()
      while (nets.size < 300) {
        const n = randomNetwork(rnd)
        nets.set(n.cidr, n)
      }
      const ranges = new Map<string, {pool: string} & ReturnType<typeof randomRange>>()
      while (ranges.size < 150) {
        const r = randomRange(rnd)
        ranges.set(`${r.family}|${r.start}`, {pool: `${prefix}-${Math.floor(rnd() * 5)}`, ...r})
      }
      return {nets: [...nets.values()], ranges: [...ranges.values()]}
    }
    const p = side('pool')
    const m = side('pool') // pool-0..pool-4 on both sides: same pool names
    await load(platform, p.nets, p.ranges)
    await load(master, m.nets, m.ranges)
    const expected = bruteForce(p.nets, m.nets, p.ranges, m.ranges)
    // a meaningful sample: every kind occurs, and far from every pair conflicts
    for (const kind of ['same network', 'nested network', 'overlapping range', 'same pool name']) expect(expected.some((c) => c.kind === kind), kind).toBe(true)
    expect(expected.length).toBeLessThan(300 * 300 / 4)
    expect(sorted(await findConflicts(platform.pool, master.pool))).toEqual(sorted(expected))
  })

  it('overlappingPairs returns each overlapping pair once, in order, for spans sharing starts and ends', () => {
    const rnd = random(42)
    const spans = (n: number) =>
      Array.from({length: n}, () => {
        const family: Family = rnd() < 0.5 ? 4 : 6
        const start = BigInt(Math.floor(rnd() * 200))
        return {family, start, end: start + BigInt(Math.floor(rnd() * 20))}
      })
    for (let round = 0; round < 20; round++) {
      const a = spans(200)
      const b = spans(150)
      const expected: [number, number][] = []
      for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) if (a[i].family === b[j].family && a[i].start <= b[j].end && b[j].start <= a[i].end) expected.push([i, j])
      expect(overlappingPairs(a, b)).toEqual(expected)
    }
    expect(overlappingPairs([{family: 4, start: 0n, end: maxValue(4)}], [{family: 6, start: 0n, end: maxValue(6)}])).toEqual([])
  })
})
