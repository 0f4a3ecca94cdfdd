#!/usr/bin/env node
// `npm run bench`: builds its own data on a throwaway server and prints each
// figure (median of several runs) with its ratio to a floor measured in the
// same run on the same data, so that machine noise cancels. --json prints one
// JSON object instead of the table.
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import mysql from 'mysql2/promise'

import {startServer, stopServer} from '../dist/src/sandbox/server.js'
import {createAndMigrate} from '../dist/src/db/admin.js'
import {openDatabase} from '../dist/src/db/connect.js'
import {parseDbUrl} from '../dist/src/db/url.js'
import {addNetwork} from '../dist/src/space/networks.js'
import {addPool} from '../dist/src/space/pools.js'
import {addRange} from '../dist/src/space/ranges.js'
import {allocate, release} from '../dist/src/space/addresses.js'
import {networkMap} from '../dist/src/space/map.js'

const json = process.argv.includes('--json')
const RUNS = Number(process.env.BENCH_RUNS ?? 25)
const log = (msg) => process.stderr.write(`${msg}\n`)

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function timeRuns(fn, runs = RUNS) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await fn(i)
    times.push(performance.now() - t0)
  }
  return median(times)
}

/** Fills `count` addresses (numbers from `gen`) with batched multi-row inserts. */
async function fill(pool, family, gen, count) {
  const BATCH = 10_000
  for (let i = 0; i < count; i += BATCH) {
    const rows = []
    for (let j = i; j < Math.min(count, i + BATCH); j++) rows.push([family, gen(j).toString(), 'ALLOCATED'])
    await pool.query('INSERT INTO ip (family, addr, status) VALUES ?', [rows])
  }
}

/** One next-free allocation and its release, in-process. */
async function nextFreeMs(pool, poolName) {
  return timeRuns(async () => {
    const r = await allocate(pool, {pool: poolName})
    await release(pool, [r.addresses[0].address])
  })
}

const results = []
const record = (scenario, figure, floor, target, note) => {
  results.push({scenario, figureMs: round(figure), floorMs: round(floor), ratio: round(figure / floor), target, ok: figure / floor <= target, note})
  log(`  ${scenario}: ${round(figure)} ms vs floor ${round(floor)} ms = ${round(figure / floor)}x (target <= ${target}x)`)
}
const round = (x) => Math.round(x * 100) / 100

const dir = await mkdtemp(join(tmpdir(), 'ipam-bench-'))
log(`Starting a throwaway server in ${dir}`)
const server = await startServer({dir})
try {
  const url = parseDbUrl(`${server.rootUrl}bench`)
  await createAndMigrate(url)
  const db = await openDatabase(url)
  const pool = db.pool
  try {
    // next-free, flat: a /12 pool empty, then with 1,000,000 addresses used
    await addNetwork(pool, {cidr: '10.0.0.0/12'})
    await addPool(pool, {name: 'v4'})
    await addRange(pool, 'v4', '10.0.0.0/12')
    log('next-free on the empty /12 pool')
    const empty = await nextFreeMs(pool, 'v4')

    const base = 0x0a000000n
    log('filling 1,000,000 addresses contiguously from the start')
    await fill(pool, 4, (i) => base + 1n + BigInt(i), 1_000_000)
    const contiguous = await nextFreeMs(pool, 'v4')
    record('next-free, 1M contiguous (/12)', contiguous, empty, 2, 'floor: the same allocation on the empty pool')

    log('networks map of the /12 with 1,000,000 used')
    const map = await timeRuns(() => networkMap(pool, '10.0.0.0/12'), 9)
    const bare = await timeRuns(() => pool.query('SELECT FLOOR((block * 4096 - 167772160) / 4096) AS cell, SUM(used) AS n FROM ipam_ip_block WHERE family = 4 AND block BETWEEN 40960 AND 41215 GROUP BY cell'), 9)
    results.push({scenario: 'networks map, /12 with 1M used', figureMs: round(map), floorMs: round(bare), ratio: round(map / bare), target: '< 1000 ms', ok: map < 1000, note: 'absolute target; floor shown: its aggregate query run bare'})
    log(`  networks map: ${round(map)} ms (its aggregate query alone: ${round(bare)} ms)`)

    log('refilling with 1,000,000 addresses scattered at random over the /12')
    await pool.query('DELETE FROM ip')
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
    await fill(pool, 4, (i) => base + BigInt(picks[i]), picks.length)
    const scattered = await nextFreeMs(pool, 'v4')
    record('next-free, 1M scattered (/12, 95% full)', scattered, empty, 2, 'floor: the same allocation on the empty pool')
    await pool.query('DELETE FROM ip')

    // next-free, IPv6: a /48 pool with 100,000 used
    await addNetwork(pool, {cidr: '2001:db8::/48'})
    await addPool(pool, {name: 'v6'})
    await addRange(pool, 'v6', '2001:db8::/48')
    const v6base = 0x20010db8n << 96n
    log('filling 100,000 IPv6 addresses in the /48')
    await fill(pool, 6, (i) => v6base + 1n + BigInt(i), 100_000)
    const v6 = await nextFreeMs(pool, 'v6')
    record('next-free, IPv6 /48 with 100k used', v6, empty, 2, 'floor: the IPv4 empty-pool figure')
  } finally {
    await db.close()
  }
} finally {
  await stopServer(dir)
}

if (json) process.stdout.write(`${JSON.stringify({runs: RUNS, results}, null, 2)}\n`)
else {
  const rows = results.map((r) => `| ${r.scenario} | ${r.figureMs} ms | ${r.floorMs} ms | ${r.ratio}x | ${typeof r.target === 'number' ? `<= ${r.target}x` : r.target} | ${r.ok ? 'yes' : 'NO'} |`)
  process.stdout.write(['| scenario | figure (median) | floor | ratio | target | met |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n') + '\n')
}
