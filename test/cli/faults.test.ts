import {writeFileSync} from 'node:fs'
import {mkdtemp} from 'node:fs/promises'
import {createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import mysql from 'mysql2/promise'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createAndMigrate} from '../../src/db/admin.js'
import {parseDbUrl} from '../../src/db/url.js'
import {isAlive, startServer, stopServer, type ServerState} from '../../src/sandbox/server.js'
import {tableChecksums} from '../support/checksums.js'
import {cliFor, type CliResult, tempHome} from '../support/cli.js'
import {databaseHandle, freshDatabase, type TestDatabase} from '../support/db.js'
import {TestSmtp} from '../support/smtp.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A server of this file's own that the tests kill (SIGKILL, as a crash or an
 * OOM killer would) in the middle of a command, then start again on the same
 * data directory and port.
 */
let victim: ServerState
let victimDir: string

/**
 * Runs a command and kills the victim server once a transaction on it has
 * written at least `rows` rows, that is, in the middle of the command's change.
 */
async function killMidway(command: Promise<CliResult>, rows: number): Promise<CliResult> {
  let finished = false
  const watched = command.finally(() => {
    finished = true
  })
  const conn = await mysql.createConnection({host: '127.0.0.1', port: victim.port, user: 'root'})
  try {
    for (;;) {
      if (finished) throw new Error(`the command finished before the server was killed:\n${(await watched).stderr}`)
      const [trx] = await conn.query<any[]>('SELECT MAX(trx_rows_modified) AS n FROM information_schema.innodb_trx')
      if (Number(trx[0].n ?? 0) >= rows) break
      // InnoDB refreshes innodb_trx only when it was not read in the last 100 ms: polling faster sees nothing.
      await sleep(150)
    }
  } finally {
    conn.destroy()
  }
  process.kill(victim.pid, 'SIGKILL')
  const r = await watched
  while (isAlive(victim.pid)) await sleep(20)
  victim = await startServer({dir: victimDir, port: victim.port})
  return r
}

const ROWS = 120_000

/** A CSV of ROWS addresses in 10.0.0.0/14. */
function bigCsv(dir: string): string {
  const file = join(dir, 'big.csv')
  const lines = ['address,status,assigned_to']
  for (let i = 1; i <= ROWS; i++) lines.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255},ALLOCATED,host-${i}`)
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

function expectLostConnection(r: CliResult) {
  expect(r.code, r.stderr).toBe(5)
  expect(r.stderr).toMatch(/lost the connection to the database|cannot reach the database/)
  expect(r.stderr).not.toMatch(/This is a bug|at .*\.js:\d+/)
}

describe('the database server killed in the middle of a command', () => {
  let dir: string
  let csv: string
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const home = tempHome()

  beforeAll(async () => {
    victimDir = await mkdtemp(join(tmpdir(), 'ipam-victim-'))
    victim = await startServer({dir: victimDir})
    dir = await mkdtemp(join(tmpdir(), 'ipam-faults-'))
    csv = bigCsv(dir)
    const url = `${victim.rootUrl}faults`
    await createAndMigrate(parseDbUrl(url))
    db = databaseHandle(url)
    run = cliFor(url, home)
    expect((await run(['networks', 'add', '10.0.0.0/14', '--name', 'big'])).code).toBe(0)
  })
  afterAll(async () => {
    await db.pool.end().catch(() => undefined)
    await stopServer(victimDir)
  })

  /** A new pool after each restart (the old one's connections died with the server). */
  const reconnect = async () => {
    await db.pool.end().catch(() => undefined)
    db = databaseHandle(db.url)
  }

  it('import: exit 5, nothing of it afterwards, and a re-run imports it all', async () => {
    const before = await tableChecksums(db)
    const r = await killMidway(run(['ips', 'import', csv]), 10_000)
    expectLostConnection(r)
    await reconnect()
    expect(await tableChecksums(db)).toEqual(before)
    const again = await run(['ips', 'import', csv, '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect((await db.sql('SELECT COUNT(*) AS n FROM ip'))[0].n).toBe(String(ROWS))
  })

  it('purge: exit 5, the address space whole afterwards, and a re-run purges it', async () => {
    expect((await run(['backup', '-o', join(dir, 'before-purge.ipam-backup.gz')])).code).toBe(0)
    const before = await tableChecksums(db)
    const r = await killMidway(run(['purge', '--yes', '--no-backup']), 2_000)
    expectLostConnection(r)
    await reconnect()
    expect(await tableChecksums(db)).toEqual(before)
    const again = await run(['purge', '--yes', '--no-backup'])
    expect(again.code, again.stderr).toBe(0)
    expect((await db.sql('SELECT (SELECT COUNT(*) FROM ip) + (SELECT COUNT(*) FROM ipnet) AS n'))[0].n).toBe('0')
  })

  it('restore: exit 5, the data as it was before the restore, and a re-run restores the backup', async () => {
    const before = await tableChecksums(db)
    const file = join(dir, 'before-purge.ipam-backup.gz')
    const r = await killMidway(run(['restore', file, '--yes']), 10_000)
    expectLostConnection(r)
    await reconnect()
    expect(await tableChecksums(db)).toEqual(before)
    const again = await run(['restore', file, '--yes'])
    expect(again.code, again.stderr).toBe(0)
    expect((await db.sql('SELECT COUNT(*) AS n FROM ip'))[0].n).toBe(String(ROWS))
    expect((await db.sql("SELECT cidr FROM ipnet")).map((n: any) => n.cidr)).toEqual(['10.0.0.0/14'])
  })

  it('integration transfer: the master killed mid-copy gets nothing of it, the platform keeps its data, a re-run joins', async () => {
    // The master is on the victim server; the platform on the suite's own.
    const masterUrl = `${victim.rootUrl}faults_master`
    await createAndMigrate(parseDbUrl(masterUrl))
    const runMaster = cliFor(masterUrl, home)
    expect((await runMaster(['users', 'create', 'admin@example.com', '--admin', '--password-stdin'], {input: 'master-admin-pw'})).code).toBe(0)
    const master = databaseHandle(masterUrl)
    const platform = await freshDatabase('faults_platform')
    const runPlatform = cliFor(platform.url, home)
    expect((await runPlatform(['networks', 'add', '10.0.0.0/14'])).code).toBe(0)
    expect((await runPlatform(['ips', 'import', csv])).code).toBe(0)
    const masterBefore = await tableChecksums(master)
    await master.pool.end()
    const setup = () =>
      runPlatform(['integration', 'setup', '--master', masterUrl, '--email', 'admin@example.com', '--password-stdin', '--yes', '--backup', join(dir, `platform-${Date.now()}.ipam-backup.gz`)], {input: 'master-admin-pw'})
    const r = await killMidway(setup(), 10_000)
    expectLostConnection(r)
    const masterAfter = databaseHandle(masterUrl)
    expect(await tableChecksums(masterAfter)).toEqual(masterBefore)
    expect((await platform.sql('SELECT COUNT(*) AS n FROM ip'))[0].n).toBe(String(ROWS))
    const again = await setup()
    expect(again.code, again.stderr).toBe(0)
    expect((await masterAfter.sql('SELECT COUNT(*) AS n FROM ip'))[0].n).toBe(String(ROWS))
    expect((await platform.sql('SELECT COUNT(*) AS n FROM ip'))[0].n).toBe('0')
    await masterAfter.pool.end()
    await platform.drop()
  })
})

describe('SMTP refusing or silent', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const smtp = new TestSmtp()
  let silent: Server
  const sockets: Socket[] = []
  let silentUrl = ''

  beforeAll(async () => {
    db = await freshDatabase('smtp_faults')
    run = cliFor(db.url)
    await smtp.start()
    // Accepts connections and never says a word: nodemailer's greeting timeout must end the wait.
    silent = createServer((s) => sockets.push(s))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as {port: number}).port
    silentUrl = `smtp://127.0.0.1:${port}/?connectionTimeout=1000&greetingTimeout=1000&socketTimeout=1000`
    expect((await run(['networks', 'add', '192.0.2.0/24'])).code).toBe(0)
  })
  afterAll(async () => {
    for (const s of sockets) s.destroy()
    silent.close()
    await smtp.stop()
    await db.drop()
  })

  it('decisions stand, the outbox keeps the messages, and `notify retry` sends each once when the server takes them', async () => {
    const ids: string[] = []
    for (const n of [10, 11, 12, 13]) ids.push(String((await run(['requests', 'submit', '--ip', `192.0.2.${n}`, '--email', `user${n}@example.com`, '--json'])).json().id))

    smtp.refuse = true
    const refused = await run(['requests', 'approve', ids[0], ids[1]], {env: {IPAM_SMTP_URL: smtp.url}})
    expect(refused.code, refused.stderr).toBe(0)
    expect(refused.stderr).toMatch(/could not be sent/)

    const started = Date.now()
    const timedOut = await run(['requests', 'reject', ids[2], ids[3], '--reason', 'full'], {env: {IPAM_SMTP_URL: silentUrl}})
    expect(timedOut.code, timedOut.stderr).toBe(0)
    expect(timedOut.stderr).toMatch(/could not be sent/)
    // Bounded by the URL's timeouts, not the 10-second defaults.
    expect(Date.now() - started).toBeLessThan(9_000)

    const statuses = await db.sql('SELECT id, status FROM ip_request ORDER BY id')
    expect(statuses.map((r: any) => r.status)).toEqual(['APPROVED', 'APPROVED', 'REJECTED', 'REJECTED'])
    // refused ones FAILED; after the silent server timed out once, the other was left PENDING untried
    const waiting = (await run(['notify', 'list', '--json'])).json().filter((m: any) => m.status !== 'SENT')
    expect(waiting.map((m: any) => m.recipient).sort()).toEqual(['user10@example.com', 'user11@example.com', 'user12@example.com', 'user13@example.com'])
    expect(smtp.received).toHaveLength(0)

    smtp.refuse = false
    const [a, b] = await Promise.all([run(['notify', 'retry', '--json'], {env: {IPAM_SMTP_URL: smtp.url}}), run(['notify', 'retry', '--json'], {env: {IPAM_SMTP_URL: smtp.url}})])
    expect([a.code, b.code]).toEqual([0, 0])
    expect(smtp.received.map((m) => m.to[0]).sort()).toEqual(['user10@example.com', 'user11@example.com', 'user12@example.com', 'user13@example.com'])
    expect((await run(['notify', 'list', '--status', 'FAILED', '--json'])).json()).toEqual([])
    expect((await run(['notify', 'retry', '--json'], {env: {IPAM_SMTP_URL: smtp.url}})).json().sent).toBe(0)
    expect(smtp.received).toHaveLength(4)
  })
})
