#!/usr/bin/env node
// `npm run bench` (or `node bench/run.js [scenario ...] [--json]` after a build):
// builds its own data on a throwaway server and prints each figure (the median
// of at least 5 runs) with its ratio to a floor measured in the same run on the
// same data. Figure and floor runs are interleaved (ABAB, then BABA), so that a
// machine that slows down or speeds up hits both alike. Floors are independent
// of the tool: what the server and the driver can do at best for the same work.
//
// Scenarios: startup nextfree map batch import utilization approvals concurrency
// (all by default). BENCH_RUNS sets the number of runs (default 7, at least 5).
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {createReadStream, createWriteStream} from 'node:fs'
import {once} from 'node:events'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {performance} from 'node:perf_hooks'

import {startServer, stopServer} from '../dist/src/sandbox/server.js'
import {createAndMigrate} from '../dist/src/db/admin.js'
import {openDatabase} from '../dist/src/db/connect.js'
import {parseDbUrl} from '../dist/src/db/url.js'
import {addNetwork} from '../dist/src/space/networks.js'
import {addPool} from '../dist/src/space/pools.js'
import {addRange} from '../dist/src/space/ranges.js'
import {allocate} from '../dist/src/space/addresses.js'
import {findFree, poolSegments} from '../dist/src/space/nextfree.js'
import {benchSubnets} from './subnets.js'
import {benchSearch} from './search.js'
import {seeded} from './seeded.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const BIN = join(HERE, '..', 'bin', 'run.js')
const RSS = join(HERE, 'rss.mjs')
const SCENARIOS = ['startup', 'nextfree', 'map', 'batch', 'import', 'utilization', 'approvals', 'concurrency', 'subnets', 'search']
const json = process.argv.includes('--json')
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'))
for (const w of wanted) if (!SCENARIOS.includes(w)) throw new Error(`unknown scenario ${w}; known: ${SCENARIOS.join(' ')}`)
const want = (name) => wanted.length === 0 || wanted.includes(name)
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 7))
const log = (msg) => process.stderr.write(`${msg}\n`)
const round = (x) => Math.round(x * 100) / 100
const mib = (kib) => (kib === null || kib === undefined ? null : Math.round(kib / 102.4) / 10)

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}


let tmp
/** Runs a process to completion; returns wall time (ms), peak RSS (KiB), stdout. */
async function measureProcess(args, env = {}) {
  const rssFile = join(tmp, `rss-${Math.random().toString(36).slice(2)}`)
  const t0 = performance.now()
  const child = spawn(process.execPath, args, {env: {...process.env, ...env, NODE_OPTIONS: `--import=${RSS}`, IPAM_BENCH_RSS_FILE: rssFile}, stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const [code] = await once(child, 'close')
  const ms = performance.now() - t0
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${err}`)
  const rss = Number(await readFile(rssFile, 'utf8').catch(() => 'NaN'))
  await rm(rssFile, {force: true})
  return {ms, rss: Number.isNaN(rss) ? null : rss, out}
}

const proc = (args, env) => () => measureProcess(args, env)
const inProcess = (fn) => async (i) => {
  const t0 = performance.now()
  await fn(i)
  return {ms: performance.now() - t0}
}

/**
 * Runs every case `runs` times, interleaved (ABC, CBA, ABC, ...), with `reset`
 * after each run; returns per case the median ms, the peak RSS and the last stdout.
 */
async function interleave(runs, cases, reset) {
  const keys = Object.keys(cases)
  const acc = Object.fromEntries(keys.map((k) => [k, {times: [], rss: 0, out: ''}]))
  for (let i = 0; i < runs; i++) {
    for (const k of i % 2 ? [...keys].reverse() : keys) {
      const r = await cases[k](i)
      acc[k].times.push(r.ms)
      acc[k].rss = Math.max(acc[k].rss, r.rss ?? 0)
      if (r.out !== undefined) acc[k].out = r.out
      if (reset) await reset(k, i)
    }
  }
  return Object.fromEntries(keys.map((k) => [k, {ms: median(acc[k].times), rss: acc[k].rss || null, out: acc[k].out, times: acc[k].times}]))
}

/** The shapes bench/subnets.js takes: median ms of `runs` in-process runs (`reset` after each), and of whole processes. */
async function timeRuns(fn, runs = RUNS, reset) {
  return (await interleave(runs, {run: inProcess(fn)}, reset ? (_k, i) => reset(i) : undefined)).run.ms
}
async function processRuns(args, env, runs = RUNS, reset) {
  return (await interleave(runs, {run: proc(args, env)}, reset ? (_k, i) => reset(i) : undefined)).run
}

/** Inserts `count` addresses (numbers from `gen`) with batched multi-row inserts. */
async function fill(pool, family, gen, count, status = 'ALLOCATED') {
  const BATCH = 10_000
  for (let i = 0; i < count; i += BATCH) {
    const rows = []
    for (let j = i; j < Math.min(count, i + BATCH); j++) rows.push([family, gen(j), status])
    await pool.query('INSERT INTO ip (family, addr, status) VALUES ?', [rows])
  }
}

/** Empties the address table fast; the block and cell summaries are emptied with it (TRUNCATE fires no trigger). */
async function wipe(pool) {
  await pool.query('TRUNCATE TABLE ip')
  await pool.query('DELETE FROM ipam_ip_block')
  await pool.query('DELETE FROM ipam_ip_cell')
}

/** Nothing left of an earlier scenario. */
async function clean(pool) {
  await wipe(pool)
  for (const t of ['ip_request', 'ipam_outbox', 'ippool', 'ipnet']) await pool.query(`DELETE FROM ${t}`)
}

const results = []
function record(scenario, figure, floor, target, extra = {}) {
  const ratio = extra.ratio !== undefined ? extra.ratio : floor ? figure / floor : null
  const limit = Number(target.replace(/^[<>]=?/, '').replace(/[^\d.]/g, ''))
  const ok = extra.ok ?? (target.startsWith('>=') ? ratio >= limit : ratio <= limit)
  const row = {scenario, figure: round(figure), floor: floor === null ? null : round(floor), unit: extra.unit ?? 'ms', ratio: ratio === null ? null : round(ratio), target, ok, peakMiB: mib(extra.rss), note: extra.note ?? ''}
  results.push(row)
  log(`  ${scenario}: ${row.figure} ${row.unit}${floor === null ? '' : ` vs floor ${row.floor} ${row.unit} = ${row.ratio}x`} (target ${target}: ${ok ? 'met' : 'NOT met'})${row.peakMiB ? `, peak ${row.peakMiB} MiB` : ''}`)
}

const started = performance.now()
tmp = await mkdtemp(join(tmpdir(), 'ipam-bench-'))
log(`Starting a throwaway server in ${tmp}; scenarios: ${(wanted.length ? wanted : SCENARIOS).join(' ')}; ${RUNS} runs each`)
const server = await startServer({dir: join(tmp, 'server')})
try {
  const urlText = `${server.rootUrl}bench`
  const url = parseDbUrl(urlText)
  await createAndMigrate(url)
  const db = await openDatabase(url)
  const pool = db.pool
  const env = {IPAM_DATABASE_URL: urlText, XDG_CONFIG_HOME: join(tmp, 'config'), XDG_DATA_HOME: join(tmp, 'data'), NO_COLOR: '1'}
  const FLOOR = join(HERE, 'floor-startup.js')
  const base = 0x0a000000
  let v4Filled = false
  try {
    if (want('startup')) {
      // start-up: whole processes on a small database, against node + mysql2 + one SELECT
      log('start-up (small database)')
      await clean(pool)
      await addNetwork(pool, {cidr: '192.0.2.0/24', name: 'small'})
      await addNetwork(pool, {cidr: '198.51.100.0/24'})
      await addPool(pool, {name: 'p'})
      await addRange(pool, 'p', '192.0.2.0/24')
      const r = await interleave(Math.max(RUNS, 11), {
        bare: proc(['-e', '']),
        floor: proc([FLOOR], env),
        version: proc([BIN, '--version'], env),
        list: proc([BIN, 'networks', 'list', '--json'], env),
        allocate: proc([BIN, 'ips', 'allocate', '--pool', 'p', '--json'], env),
      }, (k) => (k === 'allocate' ? pool.query("DELETE FROM ip WHERE family = 4 AND addr BETWEEN 3221225984 AND 3221226239") : undefined))
      const note = `floor: node importing mysql2, one SELECT, JSON out (bench/floor-startup.js); \`node -e ''\` ${round(r.bare.ms)} ms`
      record('start-up: `ipam --version`, whole process', r.version.ms, r.floor.ms, '<=1.1x', {rss: r.version.rss, note})
      record('start-up: `networks list --json`, whole process', r.list.ms, r.floor.ms, '<=1.25x', {rss: r.list.rss, note})
      record('start-up: `ips allocate --pool P --json`, whole process', r.allocate.ms, r.floor.ms, '<=1.25x', {rss: r.allocate.rss, note})
      record('peak memory: `networks list --json`', mib(r.list.rss), null, '<=60 MiB', {unit: 'MiB', ok: mib(r.list.rss) <= 60, note: `peak RSS; the floor process peaks at ${mib(r.floor.rss)} MiB, \`node -e ''\` at ${mib(r.bare.rss)} MiB`})
    }

    if (want('nextfree') || want('map')) {
      await clean(pool)
      await addNetwork(pool, {cidr: '10.0.0.0/12'})
      await addNetwork(pool, {cidr: '10.16.0.0/12'})
      await addPool(pool, {name: 'v4'})
      await addRange(pool, 'v4', '10.0.0.0/12')
      await addPool(pool, {name: 'empty'})
      await addRange(pool, 'empty', '10.16.0.0/12')
    }
    if (want('nextfree')) {
      // next-free alone (the pool's blocks, then the first free address; no lock, no insert),
      // against one indexed round trip: the floor of any search that asks the server once.
      const conn = await pool.getConnection()
      const [[{id: v4id}]] = await pool.query("SELECT id FROM ippool WHERE name = 'v4'")
      const [[{id: emptyId}]] = await pool.query("SELECT id FROM ippool WHERE name = 'empty'")
      const find = (poolId) => async () => {
        const segs = await poolSegments(conn, poolId)
        const got = await findFree(conn, segs, 1)
        if (got.length !== 1) throw new Error('next-free found nothing')
      }
      const roundTrip = () => conn.query('SELECT addr FROM ip WHERE family = 4 AND addr >= ? ORDER BY addr LIMIT 1', [base + 12345])
      const allocRelease = async () => {
        const r = await allocate(pool, {pool: 'empty'})
        return r
      }
      try {
        log('next-free on an empty /12 pool; allocate (lock, insert, audit, commit)')
        const e = await interleave(Math.max(RUNS, 25), {
          find: inProcess(find(emptyId)),
          floor: inProcess(roundTrip),
          allocate: inProcess(allocRelease),
        }, (k) => (k === 'allocate' ? pool.query('DELETE FROM ip WHERE family = 4 AND addr BETWEEN ? AND ?', [base + (1 << 20), base + (2 << 20)]) : undefined))
        record('next-free: find, empty /12 pool', e.find.ms, e.floor.ms, '<=2x', {note: 'in-process; floor: one indexed SELECT round trip'})
        record('next-free: allocate (lock, insert, audit, commit), empty /12 pool', e.allocate.ms, e.floor.ms, '<=5x', {note: 'in-process; floor: one indexed SELECT round trip'})

        log('filling 1,000,000 addresses contiguously from the start of the /12')
        await fill(pool, 4, (i) => base + 1 + i, 1_000_000)
        v4Filled = true
        const c = await interleave(Math.max(RUNS, 25), {find: inProcess(find(v4id)), floor: inProcess(find(emptyId))})
        record('next-free: find, /12 pool with 1M used contiguously', c.find.ms, c.floor.ms, '<=2x', {note: 'in-process; floor: the same find on an empty /12 pool'})

        // Really scattered: every block of 4,096 full but every 16th, which keeps 8 free
        // addresses at seeded-random places; the search must skip 15 full blocks, then
        // find the first of 8 gaps among 4,088 used addresses.
        log('refilling: 8 free addresses at random in every 16th block, all else used (seeded)')
        const rand = seeded(18)
        const free = new Set()
        for (let b = 15; b < 256; b += 16) {
          const inBlock = new Set()
          while (inBlock.size < 8) inBlock.add(b * 4096 + Math.floor(rand() * 4096))
          for (const k of inBlock) free.add(k)
        }
        const lastUsable = (1 << 20) - 2
        const extra = []
        for (let k = 1_000_001; k <= lastUsable; k++) if (!free.has(k)) extra.push(k)
        await fill(pool, 4, (i) => base + extra[i], extra.length)
        const holes = [...free].filter((k) => k <= 1_000_000)
        for (let i = 0; i < holes.length; i += 1000) await pool.query('DELETE FROM ip WHERE family = 4 AND addr IN (?)', [holes.slice(i, i + 1000).map((k) => base + k)])
        const [[{n}]] = await pool.query('SELECT COUNT(*) AS n FROM ip WHERE family = 4 AND addr BETWEEN ? AND ?', [base, base + (1 << 20) - 1])
        const s = await interleave(Math.max(RUNS, 25), {find: inProcess(find(v4id)), floor: inProcess(find(emptyId))})
        record(`next-free: find, /12 pool, ${Number(n).toLocaleString('en')} used, 8 free at random in every 16th block`, s.find.ms, s.floor.ms, '<=2x', {note: 'in-process; floor: the same find on an empty /12 pool'})
        // back to the contiguous million for the map
        await pool.query('DELETE FROM ip WHERE family = 4 AND addr BETWEEN ? AND ?', [base + 1_000_001, base + (1 << 20) - 1])
        for (let i = 0; i < holes.length; i += 1000) await pool.query('INSERT INTO ip (family, addr, status) VALUES ?', [holes.slice(i, i + 1000).map((k) => [4, base + k, 'ALLOCATED'])])

        log('IPv6 /48 pool with 100,000 used')
        await addNetwork(pool, {cidr: '2001:db8::/48'})
        await addPool(pool, {name: 'v6'})
        await addRange(pool, 'v6', '2001:db8::/48')
        const [[{id: v6id}]] = await pool.query("SELECT id FROM ippool WHERE name = 'v6'")
        const v6base = 0x20010db8n << 96n
        await fill(pool, 6, (i) => v6base + 1n + BigInt(i), 100_000)
        const v6 = await interleave(Math.max(RUNS, 25), {find: inProcess(find(v6id)), floor: inProcess(find(emptyId))})
        record('next-free: find, IPv6 /48 pool with 100k used', v6.find.ms, v6.floor.ms, '<=2x', {note: 'in-process; floor: the same find on the empty IPv4 /12 pool'})
        await pool.query('DELETE FROM ip WHERE family = 6')
      } finally {
        conn.release()
      }
    }

    if (want('map')) {
      if (!v4Filled) {
        log('filling 1,000,000 addresses contiguously from the start of the /12')
        await fill(pool, 4, (i) => base + 1 + i, 1_000_000)
      }
      // the map as users run it: a whole process, against the start-up floor (a map is one aggregate of the block summary)
      log('networks map of the /12 with 1M used, whole process')
      const m = await interleave(RUNS, {map: proc([BIN, 'networks', 'map', '10.0.0.0/12', '--json'], env), floor: proc([FLOOR], env)})
      record('networks map: /12 with 1M used, whole process', m.map.ms, m.floor.ms, '<=1.5x', {rss: m.map.rss, note: 'floor: node importing mysql2, one SELECT, JSON out'})
    }

    if (want('batch')) {
      // batch allocation: --count 10000 against one multi-row INSERT of the same rows
      log('batch allocation of 10,000')
      await clean(pool)
      await addNetwork(pool, {cidr: '10.0.0.0/12'})
      await addPool(pool, {name: 'v4'})
      await addRange(pool, 'v4', '10.0.0.0/12')
      const rows10k = Array.from({length: 10_000}, (_, i) => [4, base + 1 + i, 'ALLOCATED', null, null, null])
      const b = await interleave(RUNS, {
        batch: inProcess(async () => {
          const r = await allocate(pool, {pool: 'v4', count: 10_000})
          if (r.addresses.length !== 10_000 || r.addresses.at(-1).address !== '10.0.39.16') throw new Error('unexpected batch')
        }),
        floor: inProcess(() => pool.query('INSERT INTO ip (family, addr, status, assigned_to, assign_type, description) VALUES ?', [rows10k])),
      }, () => wipe(pool))
      record('batch allocation: `ips allocate --count 10000`', b.batch.ms, b.floor.ms, '<=3x', {note: 'in-process; floor: one multi-row INSERT of the same rows'})
    }

    if (want('import')) {
      await clean(pool)
      await addNetwork(pool, {cidr: '10.0.0.0/12'})
      log('writing a CSV of 1,000,000 addresses')
      const csv = join(tmp, 'import.csv')
      const ws = createWriteStream(csv)
      ws.write('address,status,assigned_to,assign_type,description\n')
      for (let i = 1; i <= 1_000_000; i++) {
        const v = base + i
        const line = `${v >>> 24}.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255},USED,host-${i},VM,\n`
        if (!ws.write(line)) await once(ws, 'drain')
      }
      ws.end()
      await once(ws, 'finish')
      // the floor: the server's own bulk loader reading the same file (LOAD DATA LOCAL INFILE)
      const mysql = (await import('mysql2/promise')).default
      const loader = await mysql.createConnection({host: url.hosts[0].host, port: url.hosts[0].port, user: url.user, password: url.password, database: url.database, infileStreamFactory: () => createReadStream(csv)})
      try {
        log('importing 1,000,000 rows: `ips import` against LOAD DATA, interleaved')
        const r = await interleave(Math.max(5, Math.min(RUNS, 5)), {
          import: proc([BIN, 'ips', 'import', csv], env),
          floor: inProcess(() => loader.query("LOAD DATA LOCAL INFILE 'import.csv' INTO TABLE ip FIELDS TERMINATED BY ',' LINES TERMINATED BY '\\n' IGNORE 1 LINES (@a, status, assigned_to, assign_type, @d) SET family = 4, addr = INET_ATON(@a), description = NULLIF(@d, '')")),
        }, () => wipe(pool))
        const rate = 1_000_000 / (r.import.ms / 1000)
        record('import: `ips import` of 1,000,000 rows, whole process', r.import.ms, r.floor.ms, '<=1.5x', {rss: r.import.rss, note: 'floor: LOAD DATA LOCAL INFILE of the same file (the server\'s bulk loader)'})
        record('import rate', rate, 50_000, '>=50000 rows/s', {unit: 'rows/s', ratio: rate / 50_000, ok: rate >= 50_000, note: 'absolute target'})
        await loader.query("LOAD DATA LOCAL INFILE 'import.csv' INTO TABLE ip FIELDS TERMINATED BY ',' LINES TERMINATED BY '\\n' IGNORE 1 LINES (@a, status, assigned_to, assign_type, @d) SET family = 4, addr = INET_ATON(@a), description = NULLIF(@d, '')")
        log('exporting 1,000,000 rows (ipam ips export), against SELECT of the same rows streamed to a file')
        const out = join(tmp, 'export.csv')
        const e = await interleave(5, {
          export: proc([BIN, 'ips', 'export', '-o', out], env),
          floor: inProcess(async () => {
            const w = createWriteStream(join(tmp, 'floor-export.csv'))
            const stream = loader.connection.query('SELECT INET_NTOA(addr) AS a, status, assigned_to, assign_type, description FROM ip WHERE family = 4 ORDER BY addr').stream()
            for await (const row of stream) if (!w.write(`${row.a},${row.status},${row.assigned_to ?? ''},${row.assign_type ?? ''},${row.description ?? ''}\n`)) await once(w, 'drain')
            w.end()
            await once(w, 'finish')
          }),
        })
        record('export: `ips export` of 1,000,000 rows, whole process', e.export.ms, e.floor.ms, 'peak < 200 MiB', {rss: e.export.rss, ok: mib(e.export.rss) < 200, note: 'streamed; floor (shown, no target): a streamed SELECT written as CSV in-process'})
      } finally {
        await loader.end()
      }
    }

    if (want('utilization')) {
      // networks list over 10,000 networks holding 1,000,000 addresses
      log('building 10,000 networks holding 1,000,000 addresses')
      await clean(pool)
      const nets = []
      const b20 = 20 << 24
      for (let i = 0; i < 10_000; i++) {
        const n = b20 + i * 256
        nets.push([4, n, n + 255, 24, `${n >>> 24}.${(n >> 16) & 255}.${(n >> 8) & 255}.0/24`, '[]'])
      }
      for (let i = 0; i < nets.length; i += 2000) await pool.query('INSERT INTO ipnet (family, network, broadcast, prefix, cidr, locations) VALUES ?', [nets.slice(i, i + 2000)])
      await fill(pool, 4, (i) => b20 + Math.floor(i / 100) * 256 + 1 + (i % 100), 1_000_000, 'USED')
      // the floor: the statements behind it, run bare (the networks, then their counts, 1,000 per statement)
      const bareList = async () => {
        const [all] = await pool.query('SELECT id, family, network, broadcast, prefix, cidr, name, gateway, vlan, note, locations, created_at FROM ipnet ORDER BY family, network, prefix')
        for (let i = 0; i < all.length; i += 1000) {
          const chunk = all.slice(i, i + 1000)
          await pool.query(chunk.map(() => '(SELECT ? AS k, status, COUNT(*) AS n FROM ip WHERE family = ? AND addr BETWEEN ? AND ? GROUP BY status)').join(' UNION ALL '), chunk.flatMap((n) => [n.id, n.family, BigInt(n.network), BigInt(n.broadcast)]))
        }
      }
      const u = await interleave(5, {list: proc([BIN, 'networks', 'list', '--json'], env), floor: inProcess(bareList)})
      if (JSON.parse(u.list.out).length !== 10_000) throw new Error('networks list did not list 10,000 networks')
      record('utilization: `networks list --json`, 10k networks, 1M addresses', u.list.ms, u.floor.ms, '<=0.8x', {rss: u.list.rss, note: 'whole process; floor: exact counts per network, 1,000 per statement, in-process: what the command read before the cell summary (schema 7), when it took 1.55-1.58x this floor'})

      // flat in the number of addresses: 10 networks, 1,000,000 addresses against the same 10 empty, interleaved (two databases)
      log('10 networks: with 1,000,000 addresses against the same with none')
      await clean(pool)
      const emptyText = `${server.rootUrl}bench_empty`
      await createAndMigrate(parseDbUrl(emptyText))
      const other = await openDatabase(parseDbUrl(emptyText))
      try {
        for (let i = 0; i < 10; i++) for (const p of [pool, other.pool]) await addNetwork(p, {cidr: `10.${i * 16}.0.0/12`})
        await fill(pool, 4, (i) => base + Math.floor(i / 100_000) * (16 << 16) + 1 + (i % 100_000), 1_000_000, 'USED')
        const f = await interleave(RUNS, {full: proc([BIN, 'networks', 'list', '--json'], env), empty: proc([BIN, 'networks', 'list', '--json'], {...env, IPAM_DATABASE_URL: emptyText})})
        record('utilization: `networks list --json`, 10 networks, 1M addresses vs none', f.full.ms, f.empty.ms, '<=1.2x', {rss: f.full.rss, note: 'whole process; floor: the same command on the same 10 networks holding no address'})
      } finally {
        await other.close()
      }
    }

    if (want('approvals')) {
      // approvals: 1,000 pending ids in one command
      log('approvals: 1,000 pending requests')
      await clean(pool)
      await addNetwork(pool, {cidr: '20.19.136.0/22'})
      const reqs = []
      for (let i = 0; i < 1000; i++) reqs.push([4, (20 << 24) + (19 << 16) + (136 << 8) + 1 + i, null, '20.19.136.0/22', `user${i}@example.com`])
      await pool.query('INSERT INTO ip_request (family, addr, ipnet_id, network_cidr, email) VALUES ?', [reqs])
      const [idRows] = await pool.query('SELECT id, addr FROM ip_request ORDER BY id')
      const ids = idRows.map((r) => String(r.id))
      const resetRequests = async () => {
        await pool.query("UPDATE ip_request SET status = 'PENDING', decided_by = NULL, decided_at = NULL")
        await wipe(pool)
        await pool.query('DELETE FROM ipam_outbox')
      }
      // the floor: the same writes as one bulk set in one transaction (the requests, the addresses, an audit row and a message each)
      const bulk = async () => {
        const conn = await pool.getConnection()
        try {
          await conn.query('START TRANSACTION')
          await conn.query('SELECT id FROM ip_request WHERE id IN (?) FOR UPDATE', [ids])
          await conn.query("UPDATE ip_request SET status = 'APPROVED', decided_by = 'bench', decided_at = CURRENT_TIMESTAMP(6) WHERE id IN (?)", [ids])
          await conn.query('INSERT INTO ip (family, addr, status, assigned_to) VALUES ?', [idRows.map((r, i) => [4, r.addr, 'ALLOCATED', `user${i}@example.com`])])
          await conn.query('INSERT INTO ipam_audit (os_user, db_user, action, object_type, object_id, detail) VALUES ?', [idRows.map((r) => ['bench', 'bench', 'requests.approve', 'request', String(r.id), '{}'])])
          await conn.query('INSERT INTO ipam_outbox (kind, recipient, subject, body) VALUES ?', [idRows.map((r, i) => ['request-approved', `user${i}@example.com`, 'Your IP request was approved', `Request #${r.id} was approved.`])])
          await conn.query('COMMIT')
        } finally {
          conn.release()
        }
      }
      const a = await interleave(5, {approve: proc([BIN, 'requests', 'approve', ...ids, '--json'], env), floor: inProcess(bulk)}, resetRequests)
      record('approvals: `requests approve` of 1,000 ids, whole process', a.approve.ms, a.floor.ms, '<=5x', {rss: a.approve.rss, note: 'floor: one transaction of bulk writes (lock, UPDATE, INSERT ip, audit, outbox), in-process'})
    }

    if (want('concurrency')) {
      // 8 processes x 50 next-free allocations from one pool at once, against the same 8 processes one after another
      log('concurrency: 8 processes x 50 allocations from one pool, at once and one after another')
      await clean(pool)
      await addNetwork(pool, {cidr: '172.16.0.0/16'})
      await addPool(pool, {name: 'shared'})
      await addRange(pool, 'shared', '172.16.0.0/16')
      const worker = join(HERE, 'alloc-worker.js')
      const one = () => measureProcess([worker, urlText, 'shared', '50'])
      const runs = {parallel: [], sequential: []}
      const held = {parallel: [], sequential: []}
      let duplicates = 0
      let handedTotal = 0
      let rss = 0
      for (let i = 0; i < 5; i++) {
        for (const mode of i % 2 ? ['sequential', 'parallel'] : ['parallel', 'sequential']) {
          const t0 = performance.now()
          const procs = []
          if (mode === 'parallel') procs.push(...(await Promise.all(Array.from({length: 8}, one))))
          else for (let j = 0; j < 8; j++) procs.push(await one())
          runs[mode].push(400 / ((performance.now() - t0) / 1000))
          const reports = procs.map((r) => JSON.parse(r.out))
          const handed = reports.flatMap((r) => r.addresses)
          duplicates += handed.length - new Set(handed).size
          handedTotal += handed.length
          held[mode].push(...reports.flatMap((r) => r.ms))
          rss = Math.max(rss, ...procs.map((r) => r.rss ?? 0))
          await wipe(pool)
        }
      }
      const par = median(runs.parallel)
      const seq = median(runs.sequential)
      const hold = median(held.sequential)
      record('concurrency: 8 processes x 50 next-free on one pool, addresses/s', par, seq, '>=1.3x', {unit: 'addr/s', rss, ok: par / seq >= 1.3 && duplicates === 0, note: `floor: the same 8 processes one after another; ${duplicates} duplicates of ${handedTotal}; one allocation (its transaction, pool lock held throughout) takes ${round(hold)} ms alone, ${round(median(held.parallel))} ms with 8 at once, so one pool serves at most ~${Math.round(1000 / hold)}/s`})
    }
    if (want('subnets')) await benchSubnets({rootUrl: server.rootUrl, env, BIN, log, record, timeRuns, processRuns})
    if (want('search')) {
      log('search at 1,000,000 addresses')
      await clean(pool)
      const floor = await processRuns([FLOOR], env, 5)
      for (const r of await benchSearch(pool, env, {log})) {
        record(`search: \`search ${r.query}\` at 1,000,000 addresses, whole process`, r.ms, floor.ms, '<1000 ms', {ok: r.ms < 1000, note: 'floor shown: the start-up floor; the target is absolute'})
      }
    }
  } finally {
    await db.close()
  }
} finally {
  await stopServer(join(tmp, 'server'))
  await rm(tmp, {recursive: true, force: true})
}

const seconds = Math.round((performance.now() - started) / 1000)
if (json) process.stdout.write(`${JSON.stringify({node: process.version, runs: RUNS, seconds, results}, null, 2)}\n`)
else {
  const rows = results.map((r) => `| ${r.scenario} | ${r.figure} ${r.unit} | ${r.floor === null ? '-' : `${r.floor} ${r.unit}`} | ${r.ratio === null ? '-' : `${r.ratio}x`} | ${r.target} | ${r.ok ? 'yes' : 'NO'} | ${r.peakMiB ?? '-'} | ${r.note} |`)
  process.stdout.write([`ipam bench on Node ${process.version}, ${seconds} s, ${RUNS} runs (medians)`, '', '| scenario | figure (median) | floor | ratio | target | met | peak MiB | note |', '| --- | --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n') + '\n')
}
