import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freshDatabase, type TestDatabase} from '../support/db.js'
import {exportSpace, importSpace, SPACE_CSV_HEADER, spaceCsvLine, type SpaceRecord} from '../../src/space/netimport.js'
import {addNetwork} from '../../src/space/networks.js'
import {addPool} from '../../src/space/pools.js'
import {addRange} from '../../src/space/ranges.js'

const collect = async (db: TestDatabase) => {
  const out: SpaceRecord[] = []
  for await (const r of exportSpace(db.pool)) out.push(r)
  return out
}
const counts = async (db: TestDatabase) => {
  const [n] = await db.sql('SELECT (SELECT COUNT(*) FROM ipnet) AS nets, (SELECT COUNT(*) FROM ippool) AS pools, (SELECT COUNT(*) FROM ippool_range) AS ranges')
  return {nets: Number(n.nets), pools: Number(n.pools), ranges: Number(n.ranges)}
}

describe('networks export and import', () => {
  let source: TestDatabase
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netimport-'))
    source = await freshDatabase('netexp')
    await addNetwork(source.pool, {cidr: '10.0.0.0/16', name: 'campus', note: 'has "quotes", commas\nand a newline'})
    await addNetwork(source.pool, {cidr: '10.0.1.0/24', name: 'lan', gateway: '10.0.1.1', vlan: 12, locations: ['paris', 'lyon']})
    await addNetwork(source.pool, {cidr: '2001:db8::/64'})
    await addPool(source.pool, {name: 'office', note: 'n', locations: ['paris']})
    await addPool(source.pool, {name: 'v6'})
    await addRange(source.pool, 'office', '10.0.1.10-10.0.1.99')
    await addRange(source.pool, 'office', '10.0.1.200')
    await addRange(source.pool, 'v6', '2001:db8::100-2001:db8::1ff')
  })
  afterAll(() => source.drop())

  for (const format of ['csv', 'jsonl'] as const) {
    it(`round-trips networks, pools and ranges through ${format}`, async () => {
      const records = await collect(source)
      expect(records.map((r) => r.type)).toEqual(['network', 'network', 'network', 'pool', 'pool', 'range', 'range', 'range'])
      const file = join(dir, `space.${format}`)
      await writeFile(file, format === 'csv' ? SPACE_CSV_HEADER + records.map(spaceCsvLine).join('') : records.map((r) => `${JSON.stringify(r)}\n`).join(''))
      const target = await freshDatabase(`netimp_${format}`)
      try {
        const r = await importSpace(target.pool, file)
        expect(r).toMatchObject({networks: 3, pools: 2, ranges: 3, skipped: 0})
        expect(await collect(target)).toEqual(records)
        const audit = await target.sql("SELECT action, COUNT(*) AS n FROM ipam_audit GROUP BY action ORDER BY action")
        expect(audit.map((a) => [a.action, Number(a.n)])).toEqual([['networks.import', 3], ['pools.import', 2], ['ranges.import', 3]])
      } finally {
        await target.drop()
      }
    })
  }

  it('reads CSV without a header, and with its columns in another order', async () => {
    const target = await freshDatabase('netimp_order')
    try {
      const plain = join(dir, 'plain.csv')
      await writeFile(plain, 'network,192.0.2.0/24,lan,192.0.2.1,,,,\npool,,p1,,,,,\nrange,,p1,,,,,192.0.2.10-192.0.2.20\n')
      expect(await importSpace(target.pool, plain)).toMatchObject({networks: 1, pools: 1, ranges: 1})
      const reordered = join(dir, 'reordered.csv')
      await writeFile(reordered, 'name,type,cidr\nlab,network,198.51.100.0/24\n')
      expect(await importSpace(target.pool, reordered)).toMatchObject({networks: 1})
      const [net] = await target.sql("SELECT name FROM ipnet WHERE cidr = '198.51.100.0/24'")
      expect(net.name).toBe('lab')
    } finally {
      await target.drop()
    }
  })

  it('stops at a bad line with its number and imports nothing', async () => {
    const target = await freshDatabase('netimp_bad')
    try {
      const cases: [string, string][] = [
        ['{"type":"network","cidr":"10.0.0.0/8"}\n{"type":"network","cidr":"10.0.0.1/8"}\n', 'line 2: invalid network "10.0.0.1/8": host bits are set'],
        ['{"type":"network","cidr":"10.0.0.0/8"}\n\n{"type":"network","cidr":"10.0.0.0/8"}\n', 'line 3: the network 10.0.0.0/8 already exists'],
        ['{"type":"pool","name":"p"}\n{"type":"range","pool":"p","range":"10.0.0.1-10.0.0.5"}\n', 'line 2: no network holds the whole range 10.0.0.1-10.0.0.5'],
        ['{"type":"range","pool":"nope","range":"10.0.0.1"}\n', 'line 1: no pool "nope"'],
        ['{"type":"network","cidr":"10.0.0.0/8","gateway":"10.0.0.0"}\n', 'line 1: the gateway 10.0.0.0 cannot be used'],
        ['{"type":"network","cidr":"10.0.0.0/8","vlan":9999}\n', 'line 1: VLAN 9999 is out of range'],
        ['{"type":"subnet"}\n', 'line 1: unknown type "subnet"'],
        ['not json\n', 'line 1: not a JSON object'],
      ]
      for (const [text, message] of cases) {
        const file = join(dir, 'bad.jsonl')
        await writeFile(file, text)
        await expect(importSpace(target.pool, file), message).rejects.toThrow(message)
        expect(await counts(target)).toEqual({nets: 0, pools: 0, ranges: 0})
      }
      const csv = join(dir, 'bad.csv')
      await writeFile(csv, 'network,10.0.0.0/8,,,,,,\nnetwork,10.1.0.0/16,,,,\n')
      await expect(importSpace(target.pool, csv)).rejects.toThrow('line 2: expected 8 columns')
      await writeFile(csv, 'type,cidr,colour\n')
      await expect(importSpace(target.pool, csv)).rejects.toThrow('unknown column colour')
      await expect(importSpace(target.pool, join(dir, 'missing.csv'))).rejects.toMatchObject({kind: 'not-found'})
    } finally {
      await target.drop()
    }
  })

  it('with skipInvalid imports the good lines and reports the bad ones; a dry run changes nothing', async () => {
    const target = await freshDatabase('netimp_skip')
    try {
      const file = join(dir, 'mixed.jsonl')
      await writeFile(file, ['{"type":"network","cidr":"10.0.0.0/24"}', '{"type":"network","cidr":"10.0.0.0/24"}', '{"type":"pool","name":"p"}', '{"type":"range","pool":"p","range":"10.0.1.1"}', '{"type":"range","pool":"p","range":"10.0.0.5"}'].join('\n'))
      const dry = await importSpace(target.pool, file, {skipInvalid: true, dryRun: true})
      expect(dry).toMatchObject({dryRun: true, networks: 1, pools: 1, ranges: 1, skipped: 2})
      expect(await counts(target)).toEqual({nets: 0, pools: 0, ranges: 0})
      const r = await importSpace(target.pool, file, {skipInvalid: true})
      expect(r.problems.map((p) => p.line)).toEqual([2, 4])
      expect(await counts(target)).toEqual({nets: 1, pools: 1, ranges: 1})
    } finally {
      await target.drop()
    }
  })
})
