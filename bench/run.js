#!/usr/bin/env node
// `npm run bench`: builds its own data on a throwaway server and prints each
// figure (median of several runs) with its ratio to a floor measured in the
// same run on the same data, so that machine noise cancels, and the peak
// memory of every measured process. --json prints one JSON object instead.
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {createWriteStream} from 'node:fs'
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
import {allocate, release} from '../dist/src/space/addresses.js'
import {networkMap} from '../dist/src/space/map.js'
import {benchSubnets} from './subnets.js'
import {benchSearch} from './search.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const BIN = join(HERE, '..', 'bin', 'run.js')
const RSS = join(HERE, 'rss.mjs')
const json = process.argv.includes('--json')
// `--only subnets` (or `--only core,subnets`) runs only those groups of scenarios.
const onlyAt = process.argv.indexOf('--only')
const only = onlyAt >= 0 ? process.argv[onlyAt + 1].split(',') : null
const want = (group) => only === null || only.includes(group)
const RUNS = Number(process.env.BENCH_RUNS ?? 25)
const log = (msg) => process.stderr.write(`${msg}\n`)
const round = (x) => Math.round(x * 100) / 100
const mib = (kib) => (kib === null || kib === undefined ? null : Math.round(kib / 102.4) / 10)

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function timeRuns(fn, runs = RUNS, reset) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await fn(i)
    times.push(performance.now() - t0)
    if (reset) await reset(i)
  }
  return median(times)
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

async function processRuns(args, env, runs, reset) {
  const times = []
  let rss = 0
  let out = ''
  for (let i = 0; i < runs; i++) {
    const r = await measureProcess(args, env)
    times.push(r.ms)
    rss = Math.max(rss, r.rss ?? 0)
    out = r.out
    if (reset) await reset(i)
  }
  return {ms: median(times), rss, out}
}

/** Fills `count` addresses (numbers from `gen`) with batched multi-row inserts. */
async function fill(pool, family, gen, count, status = 'ALLOCATED') {
  const BATCH = 10_000
  for (let i = 0; i < count; i += BATCH) {
    const rows = []
    for (let j = i; j < Math.min(count, i + BATCH); j++) rows.push([family, gen(j), status])
    await pool.query('INSERT INTO ip (family, addr, status) VALUES ?', [rows])
  }
}

/** Empties the address table fast; the block summary is emptied with it (TRUNCATE fires no trigger). */
async function wipe(pool) {
  await pool.query('TRUNCATE TABLE ip')
  await pool.query('DELETE FROM ipam_ip_block')
}

const results = []
function record(scenario, figure, floor, target, extra = {}) {
  const ratio = extra.ratio ?? figure / floor
  const ok = extra.ok ?? (target.startsWith('>=') ? ratio >= Number(target.slice(2).replace('x', '')) : ratio <= Number(target.slice(2).replace('x', '')))
  const row = {scenario, figure: round(figure), floor: round(floor), unit: extra.unit ?? 'ms', ratio: round(ratio), target, ok, peakMiB: mib(extra.rss), note: extra.note ?? ''}
  results.push(row)
  log(`  ${scenario}: ${row.figure} ${row.unit} vs floor ${row.floor} ${row.unit} = ${row.ratio}x (target ${target})${row.peakMiB ? `, peak ${row.peakMiB} MiB` : ''}`)
}

/** `ipam search` at 1,000,000 addresses, whole process, against an absolute target of 1 s (bench/search.js). */
async function searchRows(pool, env) {
  log('search at 1,000,000 addresses')
  const floor = await processRuns([join(HERE, 'floor-startup.js')], env, 5)
  for (const r of await benchSearch(pool, env, {log})) {
    record(`search: \`search ${r.query}\` at 1,000,000 addresses, whole process`, r.ms, floor.ms, '<1000 ms', {ok: r.ms < 1000, note: 'floor: start-up floor; target is absolute'})
  }
}

const started = performance.now()
tmp = await mkdtemp(join(tmpdir(), 'ipam-bench-'))
log(`Starting a throwaway server in ${tmp}`)
const server = await startServer({dir: join(tmp, 'server')})
try {
  const urlText = `${server.rootUrl}bench`
  const url = parseDbUrl(urlText)
  await createAndMigrate(url)
  const db = await openDatabase(url)
  const pool = db.pool
  const env = {IPAM_DATABASE_URL: urlText, XDG_CONFIG_HOME: join(tmp, 'config'), XDG_DATA_HOME: join(tmp, 'data'), NO_COLOR: '1'}
  try {
    core: {
    if (!want('core')) break core
    // start-up: the whole process, on a small database
    await addNetwork(pool, {cidr: '192.0.2.0/24', name: 'small'})
    await addNetwork(pool, {cidr: '198.51.100.0/24'})
    log('start-up')
    const cli = await processRuns([BIN, 'networks', 'list', '--json'], env, 9)
    const floor = await processRuns([join(HERE, 'floor-startup.js')], env, 9)
    record('start-up: `networks list --json`, whole process', cli.ms, floor.ms, '<=1.5x', {rss: cli.rss, note: 'floor: node script importing mysql2, one SELECT, JSON out'})

    // next-free, flat: a /12 pool empty, then with 1,000,000 addresses used
    await addNetwork(pool, {cidr: '10.0.0.0/12'})
    await addPool(pool, {name: 'v4'})
    await addRange(pool, 'v4', '10.0.0.0/12')
    const nextFree = (poolName) => timeRuns(async () => {
      const r = await allocate(pool, {pool: poolName})
      await release(pool, [r.addresses[0].address])
    })
    log('next-free on the empty /12 pool')
    const empty = await nextFree('v4')
    const base = 0x0a000000
    log('filling 1,000,000 addresses contiguously from the start')
    await fill(pool, 4, (i) => base + 1 + i, 1_000_000)
    const contiguous = await nextFree('v4')
    record('next-free: /12 pool, 1M used contiguously', contiguous, empty, '<=2x', {note: 'in-process; floor: the same on the empty pool'})

    log('networks map of the /12')
    const map = await timeRuns(() => networkMap(pool, '10.0.0.0/12'), 9)
    const bare = await timeRuns(() => pool.query('SELECT FLOOR((block * 4096 - 167772160) / 4096) AS cell, SUM(used) AS n FROM ipam_ip_block WHERE family = 4 AND block BETWEEN 40960 AND 41215 GROUP BY cell'), 9)
    record('networks map: /12 with 1M used (absolute: < 1000 ms)', map, bare, '<1000 ms', {ratio: map / bare, ok: map < 1000, note: 'floor shown: its aggregate query alone'})

    log('refilling with 1,000,000 addresses scattered at random over the /12')
    await wipe(pool)
    const size = 1 << 20
    const chosen = new Uint8Array(size)
    const picks = []
    while (picks.length < 1_000_000) {
      const k = 1 + Math.floor(Math.random() * (size - 2))
      if (!chosen[k]) {
        chosen[k] = 1
        picks.push(k)
      }
    }
    picks.sort((a, b) => a - b)
    await fill(pool, 4, (i) => base + picks[i], picks.length)
    const scattered = await nextFree('v4')
    record('next-free: /12 pool, 1M used scattered (95% full)', scattered, empty, '<=2x', {note: 'in-process; floor: the same on the empty pool'})
    await wipe(pool)

    // next-free, IPv6: a /48 pool with 100,000 used
    await addNetwork(pool, {cidr: '2001:db8::/48'})
    await addPool(pool, {name: 'v6'})
    await addRange(pool, 'v6', '2001:db8::/48')
    const v6base = 0x20010db8n << 96n
    await fill(pool, 6, (i) => v6base + 1n + BigInt(i), 100_000)
    const v6 = await nextFree('v6')
    record('next-free: IPv6 /48 pool, 100k used', v6, empty, '<=2x', {note: 'in-process; floor: the IPv4 empty-pool figure'})
    await wipe(pool)

    // batch allocation: --count 10000 against one multi-row INSERT of the same rows
    log('batch allocation of 10,000')
    let rows10k = []
    const batchMs = await timeRuns(async () => {
      const r = await allocate(pool, {pool: 'v4', count: 10_000})
      rows10k = r.addresses
    }, 5, () => wipe(pool))
    const insertRows = rows10k.map((a) => {
      const [x, y, z, w] = a.address.split('.').map(Number)
      return [4, ((x << 24) >>> 0) + (y << 16) + (z << 8) + w, 'ALLOCATED', null, null, null]
    })
    const insertMs = await timeRuns(() => pool.query('INSERT INTO ip (family, addr, status, assigned_to, assign_type, description) VALUES ?', [insertRows]), 5, () => wipe(pool))
    record('batch allocation: `ips allocate --count 10000`', batchMs, insertMs, '<=3x', {note: 'in-process; floor: one multi-row INSERT of the same rows'})

    // import and export of 1,000,000 rows
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
    log('importing 1,000,000 rows (ipam ips import), twice')
    const imp = await processRuns([BIN, 'ips', 'import', csv], env, 2, () => wipe(pool))
    log('the floor: plain batched INSERT of the same rows, twice')
    const plainMs = await timeRuns(async () => {
      const conn = await pool.getConnection()
      try {
        await conn.query('START TRANSACTION')
        for (let i = 1; i <= 1_000_000; i += 2000) {
          const batch = []
          for (let j = i; j < i + 2000 && j <= 1_000_000; j++) batch.push([4, base + j, 'USED', `host-${j}`, 'VM', null])
          await conn.query('INSERT INTO ip (family, addr, status, assigned_to, assign_type, description) VALUES ?', [batch])
        }
        await conn.query('COMMIT')
      } finally {
        conn.release()
      }
    }, 2, async (i) => {
      if (i === 0) await wipe(pool)
    })
    const rate = 1_000_000 / (imp.ms / 1000)
    record('import: `ips import` of 1,000,000 rows, whole process', imp.ms, plainMs, '<=1.5x', {rss: imp.rss, note: `${Math.round(rate)} rows/s (target >= 50,000); floor: batched INSERT of the same rows`})
    results.push({scenario: 'import rate', figure: Math.round(rate), floor: 50_000, unit: 'rows/s', ratio: round(rate / 50_000), target: '>=50000 rows/s', ok: rate >= 50_000, peakMiB: null, note: ''})
    log('exporting 1,000,000 rows (ipam ips export)')
    const exp = await processRuns([BIN, 'ips', 'export', '-o', join(tmp, 'export.csv')], env, 1)
    results.push({scenario: 'export: `ips export` of 1,000,000 rows, whole process', figure: round(exp.ms), floor: null, unit: 'ms', ratio: null, target: 'peak < 200 MiB', ok: mib(exp.rss) < 200, peakMiB: mib(exp.rss), note: 'streamed'})
    log(`  export: ${round(exp.ms)} ms, peak ${mib(exp.rss)} MiB; import peak ${mib(imp.rss)} MiB`)
    await wipe(pool)

    // utilization: networks list over 10,000 networks holding 1,000,000 addresses
    log('building 10,000 networks holding 1,000,000 addresses')
    await pool.query('DELETE FROM ippool')
    await pool.query('DELETE FROM ipnet')
    const nets = []
    const b20 = 20 << 24
    for (let i = 0; i < 10_000; i++) {
      const n = b20 + i * 256
      nets.push([4, n, n + 255, 24, `${n >>> 24}.${(n >> 16) & 255}.${(n >> 8) & 255}.0/24`, '[]'])
    }
    for (let i = 0; i < nets.length; i += 2000) await pool.query('INSERT INTO ipnet (family, network, broadcast, prefix, cidr, locations) VALUES ?', [nets.slice(i, i + 2000)])
    await fill(pool, 4, (i) => b20 + Math.floor(i / 100) * 256 + 1 + (i % 100), 1_000_000, 'USED')
    const list = await processRuns([BIN, 'networks', 'list', '--json'], env, 3)
    // the floor: the statements behind it, run bare (the networks, then their counts, 1,000 per statement)
    const bareList = await timeRuns(async () => {
      const [all] = await pool.query('SELECT id, family, network, broadcast, prefix, cidr, name, gateway, vlan, note, locations, created_at FROM ipnet ORDER BY family, network, prefix')
      for (let i = 0; i < all.length; i += 1000) {
        const chunk = all.slice(i, i + 1000)
        await pool.query(chunk.map(() => '(SELECT ? AS k, status, COUNT(*) AS n FROM ip WHERE family = ? AND addr BETWEEN ? AND ? GROUP BY status)').join(' UNION ALL '), chunk.flatMap((n) => [n.id, n.family, BigInt(n.network), BigInt(n.broadcast)]))
      }
    }, 3)
    if (JSON.parse(list.out).length !== 10_000) throw new Error('networks list did not list 10,000 networks')
    record('utilization: `networks list --json`, 10k networks, 1M addresses', list.ms, bareList, '<=1.5x', {rss: list.rss, note: 'whole process; floor: its queries run bare'})

    // approvals: 1,000 pending ids in one command
    log('approvals: 1,000 pending requests')
    await wipe(pool)
    await pool.query('DELETE FROM ip_request')
    const reqs = []
    for (let i = 0; i < 1000; i++) reqs.push([4, b20 + 256 * 5000 + i + 1 - (i >= 254 ? 0 : 0) + Math.floor(i / 254) * 2, null, '20.19.136.0/24', `user${i}@example.com`])
    await pool.query('INSERT INTO ip_request (family, addr, ipnet_id, network_cidr, email) VALUES ?', [reqs])
    const [idRows] = await pool.query('SELECT id FROM ip_request ORDER BY id')
    const ids = idRows.map((r) => String(r.id))
    const resetRequests = async () => {
      await pool.query("UPDATE ip_request SET status = 'PENDING', decided_by = NULL, decided_at = NULL")
      await wipe(pool)
      await pool.query('DELETE FROM ipam_outbox')
    }
    const approve = await processRuns([BIN, 'requests', 'approve', ...ids, '--json'], env, 3, resetRequests)
    const updates = await timeRuns(async () => {
      const conn = await pool.getConnection()
      try {
        await conn.query('START TRANSACTION')
        for (const id of ids) await conn.query("UPDATE ip_request SET status = 'APPROVED', decided_by = 'bench', decided_at = CURRENT_TIMESTAMP(6) WHERE id = ?", [id])
        await conn.query('COMMIT')
      } finally {
        conn.release()
      }
    }, 3, resetRequests)
    record('approvals: `requests approve` of 1,000 ids, whole process', approve.ms, updates, '<=5x', {rss: approve.rss, note: 'floor: 1,000 single-row UPDATEs in one transaction'})

    // concurrency: 8 processes allocating from one pool at once
    log('concurrency: 1 process, then 8 at once, allocating from one pool')
    await wipe(pool)
    await addNetwork(pool, {cidr: '172.16.0.0/16'})
    await addPool(pool, {name: 'shared'})
    await addRange(pool, 'shared', '172.16.0.0/16')
    const worker = join(HERE, 'alloc-worker.js')
    const t1 = performance.now()
    const one = await measureProcess([worker, urlText, 'shared', '400'])
    const rate1 = 400 / ((performance.now() - t1) / 1000)
    await wipe(pool)
    const t8 = performance.now()
    const eight = await Promise.all(Array.from({length: 8}, () => measureProcess([worker, urlText, 'shared', '50'])))
    const rate8 = 400 / ((performance.now() - t8) / 1000)
    const handed = eight.flatMap((r) => JSON.parse(r.out))
    const duplicates = handed.length - new Set(handed).size
    record('concurrency: 8 processes x 50 next-free on one pool, addresses/s', rate8, rate1, '>=1x', {unit: 'addr/s', rss: Math.max(...eight.map((r) => r.rss ?? 0), one.rss ?? 0), ok: rate8 >= rate1 && duplicates === 0, note: `floor: 1 process x 400; ${duplicates} duplicate(s) of ${handed.length}`})
    }
    if (want('subnets')) await benchSubnets({rootUrl: server.rootUrl, env, BIN, log, record, timeRuns, processRuns})
    if (want('search')) await searchRows(pool, env)
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
  const rows = results.map((r) => `| ${r.scenario} | ${r.figure} ${r.unit} | ${r.floor ?? '-'}${r.floor === null ? '' : ` ${r.unit === 'rows/s' ? 'rows/s' : r.unit}`} | ${r.ratio === null ? '-' : `${r.ratio}x`} | ${r.target} | ${r.ok ? 'yes' : 'NO'} | ${r.peakMiB ?? '-'} | ${r.note} |`)
  process.stdout.write([`ipam bench on Node ${process.version}, ${seconds} s`, '', '| scenario | figure (median) | floor | ratio | target | met | peak MiB | note |', '| --- | --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n') + '\n')
}
