import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {purge} from '../../src/admin/purge.js'
import {createUser} from '../../src/admin/users.js'
import {preflight, runSetup} from '../../src/integration/setup.js'
import {restoreBackup, writeBackup} from '../../src/admin/backup.js'
import {openDatabase} from '../../src/db/connect.js'
import {CELL_SIZE, migrate, MIGRATIONS} from '../../src/db/schema.js'
import {parseDbUrl} from '../../src/db/url.js'
import type {Family} from '../../src/net/ip.js'
import {allocate, release} from '../../src/space/addresses.js'
import {countInSpans, type Span, totalInSpans} from '../../src/space/counts.js'
import {setAddress} from '../../src/space/edit.js'
import {importAddresses} from '../../src/space/importexport.js'
import {percent} from '../../src/space/model.js'
import {addNetwork, listNetworks, planNetworkRemoval, showNetwork} from '../../src/space/networks.js'
import {addPool, listPools, planPoolRemoval, showPool} from '../../src/space/pools.js'
import {addRange, listRanges} from '../../src/space/ranges.js'
import {approveMany, submitRequest} from '../../src/requests/requests.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {expectSummariesTrue} from '../support/summaries.js'
import {seeded} from '../../bench/seeded.js'

const C = CELL_SIZE
const STATUS = ['ALLOCATED', 'RESERVED', 'USED'] as const


/** The counts as they were made before the summary: one exact count by status on `ip` per span. */
async function exact(db: TestDatabase, spans: Span[]): Promise<Map<number, Record<string, number>>> {
  const out = new Map<number, Record<string, number>>()
  for (const s of spans) {
    const c: Record<string, number> = {ALLOCATED: 0, RESERVED: 0, USED: 0, total: 0}
    for (const r of await db.sql('SELECT status, COUNT(*) AS n FROM ip WHERE family = ? AND addr BETWEEN ? AND ? GROUP BY status', [s.family, s.start, s.end])) {
      c[r.status] = Number(r.n)
      c.total += Number(r.n)
    }
    out.set(s.key, c)
  }
  return out
}

async function exactTotal(db: TestDatabase, family: Family, start: bigint, end: bigint): Promise<number> {
  return Number((await db.sql('SELECT COUNT(*) AS n FROM ip WHERE family = ? AND addr BETWEEN ? AND ?', [family, start, end]))[0].n)
}

/** Every address of each family: a span that merges all others into one wide range of cells. */
const EVERYTHING: Span[] = [{key: -4, family: 4, start: 0n, end: (1n << 32n) - 1n}, {key: -6, family: 6, start: 0n, end: (1n << 128n) - 1n}]

/**
 * Both counting functions agree with the exact counts on every span: the spans
 * alone (cells near them read row by row) and with a span of each whole
 * family (one range of cells too wide for that, summed by the server).
 */
async function expectCounts(db: TestDatabase, spans: Span[]) {
  for (const set of [spans, [...spans, ...EVERYTHING]]) {
    const want = await exact(db, set)
    const got = await countInSpans(db.pool, set)
    const totals = await totalInSpans(db.pool, set)
    for (const s of set) {
      const where = `span ${s.key}: IPv${s.family} ${s.start}-${s.end}${set === spans ? '' : ' (with the whole families)'}`
      expect({...got.get(s.key)}, where).toEqual(want.get(s.key))
      expect(totals.get(s.key), where).toBe(want.get(s.key)!.total)
    }
  }
}

/** The cell summary kept by the triggers agrees with the addresses (a cell emptied may stay as a row of zeros). */
async function insert(db: TestDatabase, rows: [number, bigint, string][]) {
  for (let i = 0; i < rows.length; i += 2000) await db.pool.query('INSERT INTO ip (family, addr, status) VALUES ?', [rows.slice(i, i + 2000)])
}

/**
 * Fills `cells` cells from `base` with every kind of cell: empty, full of one
 * status, full of mixed statuses, one address short of full, sparse of one
 * status, sparse of mixed statuses.
 */
function shapedFill(family: Family, base: bigint, cells: number, rand: () => number): [number, bigint, string][] {
  const rows: [number, bigint, string][] = []
  for (let k = 0; k < cells; k++) {
    const start = base + BigInt(k) * C
    const kind = k % 6
    const one = STATUS[k % 3]
    for (let i = 0n; i < C; i++) {
      let status: string | undefined
      if (kind === 1) status = one
      else if (kind === 2) status = STATUS[Math.floor(rand() * 3)]
      else if (kind === 3) status = i === BigInt(Math.floor(rand() * 256)) ? undefined : one
      else if (kind === 4) status = rand() < 0.1 ? one : undefined
      else if (kind === 5) status = rand() < 0.3 ? STATUS[Math.floor(rand() * 3)] : undefined
      if (status) rows.push([family, start + i, status])
    }
  }
  return rows
}

describe('counting addresses in spans from the cell summary', () => {
  let db: TestDatabase
  const v4 = 0x0a000000n // 10.0.0.0, a cell boundary
  const v6 = 0x20010db8n << 96n
  const top6 = (1n << 128n) - 1n
  beforeAll(async () => {
    db = await freshDatabase('counts_spans')
    const rand = seeded(7)
    await insert(db, [
      ...shapedFill(4, v4, 48, rand),
      ...shapedFill(6, v6, 24, rand),
      // the last cells of IPv6 (cell 2^120 - 1)
      ...shapedFill(6, top6 + 1n - 4n * C, 4, rand),
      // a few at cell edges, far from the rest
      [4, 0n, 'USED'], [4, 0xffffffffn, 'RESERVED'], [4, 0x0b000000n - 1n, 'ALLOCATED'], [4, 0x0b000000n, 'ALLOCATED'],
    ])
  })
  afterAll(() => db.drop())

  it('the summary holds what the triggers were given', async () => {
    await expectSummariesTrue(db)
  })

  it('agrees with exact counts on spans aligned to cells, inside one cell, across one boundary and across many cells', async () => {
    const spans: Span[] = []
    const add = (family: Family, start: bigint, end: bigint) => spans.push({key: spans.length, family, start, end})
    for (const [family, base, cells] of [[4, v4, 48], [6, v6, 24]] as const) {
      const n = BigInt(cells)
      add(family, base, base + n * C - 1n) // every cell whole
      for (let k = 0n; k < 6n; k++) {
        add(family, base + k * C, base + (k + 1n) * C - 1n) // one cell exactly: each kind
        add(family, base + k * C + 1n, base + (k + 1n) * C - 2n) // inside one cell
        add(family, base + k * C + 17n, base + k * C + 17n) // one address
        add(family, base + k * C + 200n, base + (k + 1n) * C + 9n) // across one boundary, no whole cell
        add(family, base + k * C + 5n, base + (k + 7n) * C + 3n) // partial, whole, partial
        add(family, base + k * C, base + (k + 3n) * C + 100n) // aligned start, partial end
        add(family, base + k * C + 100n, base + (k + 3n) * C - 1n) // partial start, aligned end
      }
      add(family, base - 1000n, base + n * C + 1000n) // beyond the data on both sides
    }
    add(6, top6 - 3n * C - 7n, top6) // up to the last address there is
    add(6, top6 - 77n, top6 - 3n)
    add(4, 0x0b000000n - 1n, 0x0b000000n) // two addresses in two cells
    add(4, 0x0b000000n - C, 0x0b000000n + C - 1n) // the same two in their whole cells
    add(4, 0xffffff00n, 0xffffffffn)
    // seeded random spans over the filled cells and a little around them
    const rand = seeded(11)
    for (let i = 0; i < 200; i++) {
      const family: Family = i % 3 === 0 ? 6 : 4
      const base = family === 4 ? v4 : v6
      const size = BigInt(family === 4 ? 48 : 24) * C
      const a = base - 300n + BigInt(Math.floor(rand() * Number(size + 600n)))
      const b = a + BigInt(Math.floor(rand() * (i % 2 ? 600 : Number(size))))
      add(family, a, b)
    }
    await expectCounts(db, spans)
  })

  it('keeps nested spans (a parent and its children) apart, each counting all of its addresses', async () => {
    const spans: Span[] = [
      {key: 1, family: 4, start: v4, end: v4 + 16n * C - 1n},
      {key: 2, family: 4, start: v4 + C, end: v4 + 2n * C - 1n},
      {key: 3, family: 4, start: v4 + C + 64n, end: v4 + C + 127n},
      {key: 4, family: 4, start: v4 + 2n * C, end: v4 + 6n * C - 1n},
      {key: 5, family: 4, start: v4 + 2n * C + 128n, end: v4 + 2n * C + 191n},
      {key: 6, family: 6, start: v6, end: v6 + (1n << 64n) - 1n},
      {key: 7, family: 6, start: v6 + 2n * C + 3n, end: v6 + 2n * C + 3n},
    ]
    await expectCounts(db, spans)
  })

  it('answers many spans, far apart and close together, in batches (more ranges and more exact counts than one statement takes)', async () => {
    const spans: Span[] = []
    // 1,800 spans of 3 addresses each over the filled cells, all partial cells (most counted exactly)
    for (let i = 0; i < 1800; i++) {
      const at = v4 + BigInt((i * 37) % (48 * 256 - 3))
      spans.push({key: spans.length, family: 4, start: at, end: at + 2n})
    }
    // 1,100 spans 100 cells apart (each its own range of cells), each partial, whole, partial, over a few addresses
    for (let i = 0; i < 1100; i++) {
      const at = 0x14000000n + BigInt(i) * 100n * C
      spans.push({key: spans.length, family: 4, start: at + 5n, end: at + 2n * C + 9n})
    }
    const rows: [number, bigint, string][] = []
    for (let i = 0; i < 1100; i++) for (const off of [3n, 6n, C + 1n, 2n * C + 9n, 2n * C + 10n]) rows.push([4, 0x14000000n + BigInt(i) * 100n * C + off, STATUS[(i + Number(off)) % 3]])
    await insert(db, rows)
    try {
      await expectCounts(db, spans)
    } finally {
      await db.pool.query('DELETE FROM ip WHERE family = 4 AND addr >= ? AND addr < ?', [0x14000000n, 0x18000000n])
    }
  })

  it('stays true through hand-written SQL: a status-only UPDATE, moving addresses, DELETE, multi-row INSERT', async () => {
    const spans: Span[] = []
    for (let k = 0n; k < 12n; k++) spans.push({key: spans.length, family: 4, start: v4 + k * C + 30n, end: v4 + (k + 2n) * C + 30n})
    spans.push({key: spans.length, family: 4, start: v4, end: v4 + 48n * C - 1n})
    const work = await freshDatabase('counts_sql')
    try {
      await insert(work, shapedFill(4, v4, 48, seeded(3)))
      await work.sql("UPDATE ip SET status = 'USED' WHERE family = 4 AND addr BETWEEN ? AND ? AND status = 'ALLOCATED'", [v4 + 100n, v4 + 5n * C])
      await work.sql("UPDATE ip SET status = 'RESERVED', description = 'x' WHERE family = 4 AND addr BETWEEN ? AND ?", [v4 + 6n * C + 10n, v4 + 6n * C + 20n])
      await work.sql("UPDATE ip SET description = 'only the description' WHERE family = 4 AND addr < ?", [v4 + 3n * C])
      await expectSummariesTrue(work)
      await expectCounts(work, spans)
      // move a cell's addresses into another cell (descending, so that none collides)
      await work.sql('UPDATE ip SET addr = addr + ? WHERE family = 4 AND addr BETWEEN ? AND ? ORDER BY addr DESC', [50n * C, v4 + 2n * C, v4 + 3n * C - 1n])
      await work.sql('DELETE FROM ip WHERE family = 4 AND addr BETWEEN ? AND ?', [v4 + 7n * C + 50n, v4 + 9n * C + 10n])
      await work.sql("INSERT INTO ip (family, addr, status) VALUES (4, ?, 'USED'), (4, ?, 'RESERVED'), (4, ?, 'ALLOCATED')", [v4 + 8n * C, v4 + 8n * C + 1n, v4 + 60n * C])
      await expectSummariesTrue(work)
      await expectCounts(work, [...spans, {key: 999, family: 4, start: v4, end: v4 + 64n * C - 1n}])
      await work.sql('DELETE FROM ip')
      await expectSummariesTrue(work)
      await expectCounts(work, spans)
    } finally {
      await work.drop()
    }
  })
})

describe('utilization of networks, pools and ranges', () => {
  let db: TestDatabase

  /** Every listing and show agrees with exact counts on `ip`. */
  async function expectUtilizationExact() {
    const nets = await listNetworks(db.pool)
    for (const n of nets) {
      const net = (await db.sql('SELECT family, network, broadcast FROM ipnet WHERE id = ?', [n.id]))[0]
      const used = await exactTotal(db, Number(net.family) as Family, BigInt(net.network), BigInt(net.broadcast))
      expect([n.cidr, n.used, n.percent]).toEqual([n.cidr, used, percent(BigInt(used), BigInt(n.usable))])
      const shown = await showNetwork(db.pool, String(n.id))
      const [want] = (await exact(db, [{key: 0, family: Number(net.family) as Family, start: BigInt(net.network), end: BigInt(net.broadcast)}])).values()
      expect({cidr: shown.cidr, byStatus: shown.byStatus, used: shown.used}).toEqual({cidr: n.cidr, byStatus: {ALLOCATED: want.ALLOCATED, RESERVED: want.RESERVED, USED: want.USED}, used})
      expect(shown.free).toBe((BigInt(shown.usable) - BigInt(used) > 0n ? BigInt(shown.usable) - BigInt(used) : 0n).toString())
      for (const r of shown.ranges) {
        const row = (await db.sql('SELECT family, start_addr, end_addr FROM ippool_range WHERE id = ?', [r.id]))[0]
        expect(r.used, `range ${r.range}`).toBe(await exactTotal(db, Number(row.family) as Family, BigInt(row.start_addr), BigInt(row.end_addr)))
      }
    }
    const ranges = await listRanges(db.pool)
    const rangeWant = new Map<number, Record<string, number>>()
    for (const r of ranges) {
      const row = (await db.sql('SELECT family, start_addr, end_addr FROM ippool_range WHERE id = ?', [r.id]))[0]
      const [want] = (await exact(db, [{key: 0, family: Number(row.family) as Family, start: BigInt(row.start_addr), end: BigInt(row.end_addr)}])).values()
      rangeWant.set(r.id, want)
      expect([r.range, r.used]).toEqual([r.range, want.total])
    }
    for (const p of await listPools(db.pool)) {
      const shown = await showPool(db.pool, p.name)
      const mine = ranges.filter((r) => r.poolId === p.id).map((r) => rangeWant.get(r.id)!)
      const sum = (k: string) => mine.reduce((a, w) => a + w[k], 0)
      expect([p.name, p.used]).toEqual([p.name, sum('total')])
      expect({used: shown.used, byStatus: shown.byStatus}).toEqual({used: sum('total'), byStatus: {ALLOCATED: sum('ALLOCATED'), RESERVED: sum('RESERVED'), USED: sum('USED')}})
      for (const r of shown.ranges) expect([r.range, r.used]).toEqual([r.range, rangeWant.get(r.id)!.total])
      expect((await planPoolRemoval(db.pool, p.name)).addresses).toBe(sum('total'))
    }
    await expectSummariesTrue(db)
  }

  beforeAll(async () => {
    db = await freshDatabase('counts_util')
    await addNetwork(db.pool, {cidr: '10.20.0.0/16', gateway: '10.20.0.1'})
    await addNetwork(db.pool, {cidr: '10.20.1.0/24', gateway: '10.20.1.1'})
    await addNetwork(db.pool, {cidr: '10.20.2.0/25'})
    await addNetwork(db.pool, {cidr: '10.20.2.64/26'})
    await addNetwork(db.pool, {cidr: '10.20.8.0/21'})
    await addNetwork(db.pool, {cidr: '2001:db8::/48'})
    await addNetwork(db.pool, {cidr: '2001:db8:0:1::/64'})
    await addPool(db.pool, {name: 'lan'})
    await addRange(db.pool, 'lan', '10.20.1.10-10.20.1.200')
    await addRange(db.pool, 'lan', '10.20.8.5-10.20.12.77')
    await addPool(db.pool, {name: 'lab'})
    await addRange(db.pool, 'lab', '10.20.2.70-10.20.2.100')
    await addRange(db.pool, 'lab', '10.20.3.0-10.20.3.255')
    await addPool(db.pool, {name: 'v6'})
    await addRange(db.pool, 'v6', '2001:db8:0:1::f0-2001:db8:0:1::2ff')
    await addPool(db.pool, {name: 'empty'})
  })
  afterAll(() => db.drop())

  it('counts what allocation, status edits, release and import leave, parents including their children', async () => {
    await allocate(db.pool, {pool: 'lan', count: 150, assignedTo: 'a'})
    await allocate(db.pool, {pool: 'lan', count: 900, status: 'RESERVED'})
    await allocate(db.pool, {pool: 'lab', count: 20, status: 'USED'})
    await allocate(db.pool, {pool: 'lab', count: 200})
    await allocate(db.pool, {pool: 'v6', count: 400, status: 'USED'})
    await allocate(db.pool, {address: '10.20.4.9', status: 'RESERVED'})
    await allocate(db.pool, {address: '10.20.255.254'})
    await expectUtilizationExact()

    for (const ip of ['10.20.1.12', '10.20.8.200', '10.20.9.0', '10.20.2.95', '2001:db8:0:1::1ff']) await setAddress(db.pool, ip, {status: 'USED'})
    await setAddress(db.pool, '10.20.1.13', {status: 'RESERVED', description: 'also the description'})
    await setAddress(db.pool, '10.20.1.14', {description: 'the description only'})
    await expectUtilizationExact()

    await release(db.pool, ['10.20.1.10', '10.20.1.11', '10.20.8.255', '10.20.9.1', '2001:db8:0:1::f0', '10.20.4.9'])
    await expectUtilizationExact()

    const dir = await mkdtemp(join(tmpdir(), 'ipam-counts-'))
    try {
      const csv = join(dir, 'in.csv')
      const lines = ['address,status,assigned_to']
      for (let i = 0; i < 256; i++) lines.push(`10.20.${5 + (i >> 7)}.${i & 127},${['ALLOCATED', 'RESERVED', 'USED'][i % 3]},imp`)
      await writeFile(csv, `${lines.join('\n')}\n`)
      await importAddresses(db.pool, csv)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
    await expectUtilizationExact()

    // hand-written SQL: status only, then a DELETE
    await db.sql("UPDATE ip SET status = 'RESERVED' WHERE family = 4 AND addr BETWEEN INET_ATON('10.20.8.0') AND INET_ATON('10.20.9.255') AND status = 'ALLOCATED'")
    await db.sql("DELETE FROM ip WHERE family = 4 AND addr BETWEEN INET_ATON('10.20.10.3') AND INET_ATON('10.20.10.250')")
    await expectUtilizationExact()
    // removing the /16 takes its addresses outside its children (10.20.1.0/24, 10.20.2.0/25, 10.20.8.0/21)
    const orphans = (await exactTotal(db, 4, 0x0a140000n, 0x0a14ffffn)) - (await exactTotal(db, 4, 0x0a140100n, 0x0a1401ffn)) - (await exactTotal(db, 4, 0x0a140200n, 0x0a14027fn)) - (await exactTotal(db, 4, 0x0a140800n, 0x0a140fffn))
    expect(orphans).toBeGreaterThan(0)
    expect((await planNetworkRemoval(db.pool, '10.20.0.0/16')).addresses).toBe(orphans)
  })
})

describe('the summary through purge, backup and restore', () => {
  it('is emptied by purge and rebuilt by restore', async () => {
    const db = await freshDatabase('counts_backup')
    const dir = await mkdtemp(join(tmpdir(), 'ipam-counts-backup-'))
    try {
      await addNetwork(db.pool, {cidr: '192.0.0.0/22'})
      await addNetwork(db.pool, {cidr: '2001:db8::/64'})
      await insert(db, [...shapedFill(4, 0xc0000000n, 4, seeded(5)), ...shapedFill(6, 0x20010db8n << 96n, 3, seeded(6))])
      const spans: Span[] = [{key: 1, family: 4, start: 0xc0000000n, end: 0xc00003ffn}, {key: 2, family: 6, start: 0x20010db8n << 96n, end: (0x20010db8n << 96n) + (1n << 64n) - 1n}]
      const before = await countInSpans(db.pool, spans)
      expect(before.get(1)!.total).toBeGreaterThan(0)
      const file = join(dir, 'b.ipam')
      await writeBackup(db.pool, file)
      await purge(db.pool)
      await expectSummariesTrue(db)
      expect((await db.sql('SELECT COUNT(*) AS n FROM ipam_ip_cell WHERE allocated <> 0 OR reserved <> 0 OR used <> 0'))[0].n).toBe('0')
      expect([...(await totalInSpans(db.pool, spans)).values()]).toEqual([0, 0])
      await restoreBackup(db.pool, file)
      await expectSummariesTrue(db)
      expect(await countInSpans(db.pool, spans)).toEqual(before)
    } finally {
      await rm(dir, {recursive: true, force: true})
      await db.drop()
    }
  })
})

describe('the summary through integration setup', () => {
  it('follows the addresses from the platform to the master (where they arrive ALLOCATED), leaving none on the platform', async () => {
    const [platformDb, masterDb] = await Promise.all([freshDatabase('counts_platform'), freshDatabase('counts_master')])
    const [platform, master] = await Promise.all([openDatabase(parseDbUrl(platformDb.url)), openDatabase(parseDbUrl(masterDb.url))])
    const dir = await mkdtemp(join(tmpdir(), 'ipam-counts-setup-'))
    try {
      await createUser(master.pool, {email: 'admin@example.com', password: 'master-admin-pw', admin: true})
      await addNetwork(platform.pool, {cidr: '10.60.0.0/22'})
      await addNetwork(master.pool, {cidr: '10.61.0.0/24'})
      await insert(platformDb, shapedFill(4, 0x0a3c0000n, 4, seeded(12)))
      await insert(masterDb, shapedFill(4, 0x0a3d0000n, 1, seeded(13)).concat([[4, 0x0a3d0010n, 'USED']]))
      const input = {email: 'admin@example.com', password: 'master-admin-pw'}
      await runSetup(platform, master, await preflight(platform, master, input), {email: input.email, backupFile: join(dir, 'platform.sql')})
      const spans: Span[] = [{key: 1, family: 4, start: 0x0a3c0000n, end: 0x0a3c03ffn}, {key: 2, family: 4, start: 0x0a3c0080n, end: 0x0a3c0240n}, {key: 3, family: 4, start: 0x0a3d0000n, end: 0x0a3d00ffn}]
      const moved = await countInSpans(master.pool, spans)
      expect(moved.get(1)!.total).toBeGreaterThan(0)
      expect(moved.get(1)!.ALLOCATED).toBe(moved.get(1)!.total)
      await expectSummariesTrue(masterDb)
      await expectCounts(masterDb, spans)
      await expectSummariesTrue(platformDb)
      expect([...(await totalInSpans(platform.pool, spans)).values()]).toEqual([0, 0, 0])
    } finally {
      await rm(dir, {recursive: true, force: true})
      await Promise.all([platform.close(), master.close()])
      await Promise.all([platformDb.drop(), masterDb.drop()])
    }
  })
})

describe('migrating a version-6 database that holds addresses', () => {
  it('fills the cell summary from the addresses there, and the triggers keep it from then on', async () => {
    const old = await freshDatabase('counts_upgrade')
    try {
      // A version-6 database: no cell summary, and step 1's block triggers, not step 7's.
      for (const t of ['ipam_ip_summaries_after_insert', 'ipam_ip_summaries_after_delete', 'ipam_ip_summaries_after_update']) await old.sql(`DROP TRIGGER ${t}`)
      const step1Triggers = MIGRATIONS[0].statements.filter((sql) => /CREATE TRIGGER IF NOT EXISTS ipam_ip_after_/.test(sql))
      expect(step1Triggers).toHaveLength(3)
      for (const sql of step1Triggers) await old.sql(sql)
      await old.sql('DROP TABLE ipam_ip_cell')
      await old.sql('DELETE FROM ipam_migrations WHERE version > 6')
      await insert(old, [...shapedFill(4, 0x0a000000n, 30, seeded(9)), ...shapedFill(6, 0x20010db8n << 96n, 6, seeded(10))])
      await old.sql("UPDATE ip SET status = 'USED' WHERE family = 4 AND addr < ?", [0x0a000000n + 3n * C])
      const spans: Span[] = []
      for (let k = 0n; k < 10n; k++) spans.push({key: spans.length, family: 4, start: 0x0a000000n + k * 3n * C + k, end: 0x0a000000n + (k + 1n) * 3n * C + 50n})
      spans.push({key: spans.length, family: 6, start: 0x20010db8n << 96n, end: (0x20010db8n << 96n) + 6n * C - 1n})
      const upgraded = await openDatabase(parseDbUrl(old.url))
      try {
        expect((await migrate(upgraded.pool)).applied).toEqual([7])
        await expectSummariesTrue(old)
        expect((await old.sql("SELECT TRIGGER_NAME AS t FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = 'ip' ORDER BY t")).map((r) => r.t)).toEqual(['ipam_ip_summaries_after_delete', 'ipam_ip_summaries_after_insert', 'ipam_ip_summaries_after_update'])
        await expectCounts(old, spans)
        await old.sql("UPDATE ip SET status = 'RESERVED' WHERE family = 4 AND addr BETWEEN ? AND ?", [0x0a000000n + 100n, 0x0a000000n + 700n])
        await old.sql('DELETE FROM ip WHERE family = 6 AND addr % 3 = 0')
        await old.sql('UPDATE ip SET addr = addr + 5000 WHERE family = 4 AND addr BETWEEN ? AND ?', [0x0a000000n + 10n, 0x0a000000n + 20n])
        await expectSummariesTrue(old)
        await expectCounts(old, spans)
        // run again over a summary gone wrong (a step that stopped half way): recomputed whole
        await old.sql('UPDATE ipam_ip_cell SET used = used + 5')
        await old.sql('UPDATE ipam_ip_block SET used = used + 7')
        await old.sql("INSERT INTO ipam_ip_cell (family, cell, allocated, reserved, used) VALUES (4, 12345, 3, 0, 0)")
        await old.sql('DELETE FROM ipam_migrations WHERE version > 6')
        expect((await migrate(upgraded.pool)).applied).toEqual([7])
        await expectSummariesTrue(old)
        await expectCounts(old, spans)
      } finally {
        await upgraded.close()
      }
    } finally {
      await old.drop()
    }
  })
})

describe('bulk writers keep both summaries a batch at a time, with the triggers off for their session only', () => {
  let db: TestDatabase
  let dir: string
  beforeAll(async () => {
    db = await freshDatabase('counts_bulk')
    dir = await mkdtemp(join(tmpdir(), 'ipam-bulk-'))
    await addNetwork(db.pool, {cidr: '10.40.0.0/16'})
    await addNetwork(db.pool, {cidr: '2001:db8:40::/48'})
    await insert(db, shapedFill(4, 0x0a280000n + 40n * C, 6, seeded(21)))
  })
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
    await db.drop()
  })

  it('an import of many batches (every status, both families, over cells and blocks already in use) leaves both summaries exact', async () => {
    const rand = seeded(22)
    const lines = ['address,status,assigned_to']
    const taken = new Set<number>()
    // 5,000 scattered IPv4 addresses over 13 blocks of 4096 (10.40.0.0-10.40.195.255), some in cells the fill above uses
    while (taken.size < 5000) {
      const n = 1 + Math.floor(rand() * 50_000)
      const inFill = n >= 40 * 256 && n < 46 * 256
      if (!inFill && n % 256 !== 0 && n % 256 !== 255) taken.add(n)
    }
    for (const n of taken) lines.push(`10.40.${n >> 8}.${n & 255},${STATUS[n % 3]},bulk`)
    for (let i = 1; i < 3000; i += 1) lines.push(`2001:db8:40::${(i * 7).toString(16)},${STATUS[i % 3]},bulk6`)
    const csv = join(dir, 'bulk.csv')
    await writeFile(csv, `${lines.join('\n')}\n`)
    expect((await importAddresses(db.pool, csv)).imported).toBe(5000 + 2999)
    await expectSummariesTrue(db)
  })

  it('a failed import (a duplicate on its last line) changes neither summary', async () => {
    const before = await db.sql('SELECT (SELECT SUM(used) FROM ipam_ip_block) AS b, (SELECT SUM(allocated + reserved + used) FROM ipam_ip_cell) AS c')
    const lines = ['address']
    for (let i = 0; i < 5000; i++) lines.push(`10.40.${200 + (i >> 8)}.${i & 255}`)
    lines.push('10.40.200.17')
    const csv = join(dir, 'dup.csv')
    await writeFile(csv, `${lines.filter((l) => !/\.(0|255)$/.test(l) || l === 'address').join('\n')}\n`)
    await expect(importAddresses(db.pool, csv)).rejects.toThrow(/already allocated/)
    expect(await db.sql('SELECT (SELECT SUM(used) FROM ipam_ip_block) AS b, (SELECT SUM(allocated + reserved + used) FROM ipam_ip_cell) AS c')).toEqual(before)
    await expectSummariesTrue(db)
  })

  it('approving many requests at once (one INSERT of their addresses) and a batch allocation leave both summaries exact', async () => {
    const ids: string[] = []
    for (let i = 0; i < 120; i++) ids.push(String((await submitRequest(db.pool, {ip: `10.40.250.${i + 1}`, email: 'r@example.com'})).request.id))
    const {decisions} = await approveMany(db.pool, ids)
    expect(decisions.filter((d) => d.ok)).toHaveLength(120)
    await addPool(db.pool, {name: 'bulk'})
    await addRange(db.pool, 'bulk', '10.40.251.0/24')
    expect((await allocate(db.pool, {pool: 'bulk', count: 200, status: 'RESERVED'})).addresses).toHaveLength(200)
    await expectSummariesTrue(db)
  })

  it('leaves the triggers on for every connection of the pool afterwards: plain writes on each are still counted', async () => {
    // The pool's connections, each taken at once so that the import's is among them.
    const conns = await Promise.all(Array.from({length: 4}, () => db.pool.getConnection()))
    try {
      for (const [i, conn] of conns.entries()) {
        const [[v]] = await conn.query<any[]>('SELECT @ipam_summaries_deferred AS v')
        expect(v.v).toBeNull()
        await conn.query("INSERT INTO ip (family, addr, status) VALUES (4, ?, 'USED')", [0x0a28f000n + BigInt(i)])
      }
    } finally {
      for (const c of conns) c.release()
    }
    await db.sql("DELETE FROM ip WHERE family = 4 AND addr = ?", [0x0a28f000n])
    await expectSummariesTrue(db)
  })
})
