#!/usr/bin/env node
// Search at 1,000,000 addresses: `ipam search` as a whole process must answer in
// under 1 s. Used by bench/run.js (benchSearch) and runnable alone:
//   npm run build && node bench/search.js
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {performance} from 'node:perf_hooks'

const HERE = dirname(fileURLToPath(import.meta.url))
const BIN = join(HERE, '..', 'bin', 'run.js')

async function wallMs(args, env, script = BIN) {
  const t0 = performance.now()
  const child = spawn(process.execPath, [script, ...args], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  const [code] = await once(child, 'close')
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${code}: ${err}`)
  return performance.now() - t0
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * Fills 1,000,000 addresses carrying assigned-to, hostname, MAC and description,
 * then times `ipam search` (whole process, median of `runs`) for an address, a
 * CIDR, a hostname, a MAC, a description start and text that matches nothing.
 * Returns [{query, ms, queryMs}]: the whole process, and the search itself run
 * in this process (the SQL part); the target is < 1000 ms whole process. The
 * start-up floor (bench/floor-startup.js) is measured alongside, as `floor`.
 */
export async function benchSearch(pool, env, {runs = 5, log = () => undefined} = {}) {
  await pool.query('INSERT IGNORE INTO ipnet (family, network, broadcast, prefix, cidr, locations) VALUES (4, 184549376, 185597951, 12, ?, ?)', ['11.0.0.0/12', '[]'])
  log('search: filling 1,000,000 addresses with hostname, MAC, assigned-to and description')
  const base = 184549376 // 11.0.0.0
  for (let i = 0; i < 1_000_000; i += 10_000) {
    const rows = []
    for (let j = i; j < i + 10_000; j++) {
      const mac = j.toString(16).padStart(12, '0').match(/../g).join(':')
      rows.push([4, base + 1 + j, 'USED', `user-${j % 5000}`, `host-${j}.dc${j % 7}.example.com`, mac, `rack ${j % 300} unit ${j % 42}`])
    }
    await pool.query('INSERT INTO ip (family, addr, status, assigned_to, hostname, mac, description) VALUES ?', [rows])
  }
  const queries = [['11.3.4.5'], ['11.1.0.0/16', '--limit', '50'], ['host-777777'], ['00:00:00:0b:de'], ['rack 17 unit'], ['user-4999', '--limit', '100'], ['nothing-matches-this']]
  const {search} = await import('../dist/src/space/search.js')
  const floorTimes = []
  for (let i = 0; i < runs; i++) floorTimes.push(await wallMs([], env, join(HERE, 'floor-startup.js')))
  const floor = median(floorTimes)
  log(`  start-up floor (node + mysql2 + one SELECT): ${Math.round(floor)} ms`)
  const out = []
  for (const q of queries) {
    const times = []
    const inProcess = []
    for (let i = 0; i < runs; i++) times.push(await wallMs(['search', ...q, '--json'], env))
    const limit = q.includes('--limit') ? Number(q[q.indexOf('--limit') + 1]) : 20
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      await search(pool, q[0], {limit})
      inProcess.push(performance.now() - t0)
    }
    out.push({query: q.join(' '), ms: median(times), queryMs: median(inProcess), floor})
    log(`  search ${q.join(' ')}: ${Math.round(median(times))} ms whole process, ${Math.round(median(inProcess) * 10) / 10} ms in-process`)
  }
  await pool.query('DELETE FROM ip WHERE family = 4 AND addr BETWEEN 184549376 AND 185597951')
  await pool.query("DELETE FROM ipnet WHERE cidr = '11.0.0.0/12'")
  return out
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const {startServer, stopServer} = await import('../dist/src/sandbox/server.js')
  const {createAndMigrate} = await import('../dist/src/db/admin.js')
  const {openDatabase} = await import('../dist/src/db/connect.js')
  const {parseDbUrl} = await import('../dist/src/db/url.js')
  const tmp = await mkdtemp(join(tmpdir(), 'ipam-bench-search-'))
  const server = await startServer({dir: join(tmp, 'server')})
  try {
    const urlText = `${server.rootUrl}bench`
    await createAndMigrate(parseDbUrl(urlText))
    const db = await openDatabase(parseDbUrl(urlText))
    try {
      const env = {IPAM_DATABASE_URL: urlText, XDG_CONFIG_HOME: join(tmp, 'config'), NO_COLOR: '1'}
      const rows = await benchSearch(db.pool, env, {log: (m) => process.stderr.write(`${m}\n`)})
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
    } finally {
      await db.close()
    }
  } finally {
    await stopServer(join(tmp, 'server'))
    await rm(tmp, {recursive: true, force: true})
  }
}
