import {spawn} from 'node:child_process'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, cleanEnv, cliFor, tempHome} from '../support/cli.js'
import {allocWorker} from '../support/workers.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'

describe('load: many processes against one nearly full pool', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  beforeAll(async () => {
    db = await freshDatabase('load')
    run = cliFor(db.url)
    for (const args of [
      ['networks', 'add', '10.20.0.0/19'],
      ['pools', 'add', 'nearly-full'],
      // 1,100 addresses, 200 of them taken first: 900 left for 1,000 attempts.
      ['ranges', 'add', 'nearly-full', '10.20.0.1-10.20.4.76'],
      ['ips', 'allocate', '--pool', 'nearly-full', '--count', '200'],
      ['pools', 'add', 'bulk'],
      ['ranges', 'add', 'bulk', '10.20.16.1-10.20.31.254'],
      ['pools', 'add', 'last-ten'],
      ['ranges', 'add', 'last-ten', '10.20.8.1-10.20.8.10'],
    ]) expect((await run(args)).code, args.join(' ')).toBe(0)
  })
  afterAll(async () => {
    await db.drop()
  })

  it('20 processes x 50 next-free allocations: each address once, every failure "exhausted"', async () => {
    const results = (await Promise.all(Array.from({length: 20}, () => allocWorker(db.url, 'nearly-full', 50)))).flat()
    expect(results).toHaveLength(1000)
    const got = results.filter((r) => r.address).map((r) => r.address!)
    const failures = results.filter((r) => !r.address)
    expect(new Set(got).size).toBe(got.length)
    expect(got).toHaveLength(900)
    expect(failures.filter((f) => f.exit !== 4 || f.code !== 'exhausted'), JSON.stringify(failures.slice(0, 3))).toEqual([])
    // The database agrees: 1,100 rows in the range, no more, no fewer.
    const [{n}] = await db.sql("SELECT COUNT(*) AS n FROM ip WHERE family = 4 AND addr BETWEEN INET_ATON('10.20.0.1') AND INET_ATON('10.20.4.76')")
    expect(n).toBe('1100')
  }, 300_000)

  it('20 CLI processes for the last 10 addresses: 10 succeed, 10 exit 4 with "exhausted"', async () => {
    const rs = await Promise.all(Array.from({length: 20}, () => run(['ips', 'allocate', '--pool', 'last-ten', '--json'])))
    const ok = rs.filter((r) => r.code === 0)
    expect(ok).toHaveLength(10)
    expect(new Set(ok.map((r) => r.json().addresses[0].address)).size).toBe(10)
    const refused = rs.filter((r) => r.code !== 0)
    expect(refused.map((r) => [r.code, r.json().error.code])).toEqual(Array(10).fill([4, 'exhausted']))
  }, 300_000)

  it('releases 3,000 addresses named in one command, all or nothing', async () => {
    const got = (await run(['ips', 'allocate', '--pool', 'bulk', '--count', '3000', '--json'])).json().addresses.map((a: any) => a.address)
    expect(got).toHaveLength(3000)
    const count = async () => (await db.sql("SELECT COUNT(*) AS n FROM ip WHERE family = 4 AND addr BETWEEN INET_ATON('10.20.16.1') AND INET_ATON('10.20.31.254')"))[0].n
    const refused = await run(['ips', 'release', ...got, '10.20.31.250'])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain('not allocated: 10.20.31.250')
    expect(await count()).toBe('3000')
    const ok = await run(['ips', 'release', ...got, got[0], '--json'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.json()).toHaveLength(3000)
    expect(await count()).toBe('0')
  }, 120_000)

  it('stops quietly with exit 0 when the reader of its output goes away (`ips list | head -1`)', async () => {
    const child = spawn(process.execPath, [BIN, 'ips', 'list'], {env: cleanEnv(tempHome(), {IPAM_DATABASE_URL: db.url}), stdio: ['ignore', 'pipe', 'pipe']})
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    child.stdout.once('data', () => child.stdout.destroy())
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })
})
