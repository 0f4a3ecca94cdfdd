import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import mysql from 'mysql2/promise'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseDbUrl} from '../../src/db/url.js'
import {tableChecksums} from '../support/checksums.js'
import {BIN, cleanEnv, cliFor, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {runPty} from '../support/pty.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts the CLI with pipes (no terminal), so that a signal can be sent to it while it works. */
function start(args: string[], env: Record<string, string>, home: string) {
  const child = spawn(process.execPath, [BIN, ...args], {env: cleanEnv(home, env), stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
  child.stdout.resume()
  const done = new Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string}>((resolve) => child.on('close', (code, signal) => resolve({code, signal, stderr})))
  return {child, done}
}

describe('interrupts (Ctrl-C, SIGINT) exit 130 with nothing half-written', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const home = tempHome()
  const dir = mkdtempSync(join(tmpdir(), 'ipam-interrupts-'))
  let csv = ''

  beforeAll(async () => {
    db = await freshDatabase('interrupts')
    run = cliFor(db.url, home)
    expect((await run(['networks', 'add', '10.0.0.0/14'])).code).toBe(0)
    const lines = ['address,status']
    for (let i = 1; i <= 120_000; i++) lines.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255},ALLOCATED`)
    csv = join(dir, 'big.csv')
    writeFileSync(csv, `${lines.join('\n')}\n`)
  })
  afterAll(async () => {
    await db.drop()
  })

  it('SIGINT in the middle of a long import: exit 130 and not one row of it', async () => {
    const before = await tableChecksums(db)
    const {child, done} = start(['ips', 'import', csv], {IPAM_DATABASE_URL: db.url}, home)
    // A dirty read sees the import's rows before it commits: interrupt once some are in.
    const u = parseDbUrl(db.url)
    const conn = await mysql.createConnection({host: u.hosts[0].host, port: u.hosts[0].port, user: u.user, database: u.database})
    await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED')
    try {
      for (;;) {
        const [[row]] = await conn.query<any[]>('SELECT COUNT(*) AS n FROM ip')
        if (Number(row.n) >= 10_000) break
        if (child.exitCode !== null) throw new Error(`the import ended first: ${(await done).stderr}`)
        await sleep(20)
      }
    } finally {
      await conn.end()
    }
    child.kill('SIGINT')
    const r = await done
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr).toMatch(/Interrupted/)
    expect(await tableChecksums(db)).toEqual(before)
  })

  it('SIGINT during a backup leaves no file, not even a partial one', async () => {
    expect((await run(['ips', 'import', csv])).code).toBe(0)
    const out = join(dir, 'b', 'x.ipam-backup.gz')
    const {child, done} = start(['backup', '-o', out], {IPAM_DATABASE_URL: db.url}, home)
    while (!existsSync(`${out}.partial`)) {
      if (child.exitCode !== null) throw new Error(`the backup ended first: ${(await done).stderr}`)
      await sleep(10)
    }
    child.kill('SIGINT')
    const r = await done
    expect(r.code, r.stderr).toBe(130)
    expect(readdirSync(join(dir, 'b'))).toEqual([])
  })

  it('Ctrl-C at a confirmation prompt: exit 130, nothing removed', async () => {
    const before = await tableChecksums(db)
    const session = runPty(['networks', 'remove', '10.0.0.0/14'], {env: {IPAM_DATABASE_URL: db.url}, home})
    await session.expect('?')
    session.interrupt()
    expect((await session.exited()).code).toBe(130)
    expect(await tableChecksums(db)).toEqual(before)
  })

  it('SIGINT (the signal, not the key) while a prompt waits: exit 130, nothing purged', async () => {
    const before = await tableChecksums(db)
    const session = runPty(['purge', '--backup', join(dir, 'purge.ipam-backup.gz')], {env: {IPAM_DATABASE_URL: db.url}, home})
    await session.expect(/type|Type/)
    session.signal('SIGINT')
    expect((await session.exited()).code).toBe(130)
    expect(await tableChecksums(db)).toEqual(before)
  })

  it('Ctrl-C in the middle of triage: exit 130, decisions made stand, the rest stay PENDING', async () => {
    const ids: number[] = []
    for (const ip of ['10.3.0.1', '10.3.0.2', '10.3.0.3']) ids.push((await run(['requests', 'submit', '--ip', ip, '--json'])).json().id)
    const session = runPty(['requests', 'triage', '--by', 'triager', '--no-color'], {env: {IPAM_DATABASE_URL: db.url}, home})
    await session.expect(`Decide #${ids[0]}`)
    session.write('\r')
    await session.expect(`Decide #${ids[1]}`)
    session.interrupt()
    expect((await session.exited()).code).toBe(130)
    const rows = await db.sql('SELECT id, status FROM ip_request WHERE id IN (?) ORDER BY id', [ids])
    expect(rows.map((r: any) => r.status)).toEqual(['APPROVED', 'PENDING', 'PENDING'])
    const taken = await db.sql("SELECT INET_NTOA(addr) AS a FROM ip WHERE family = 4 AND addr BETWEEN INET_ATON('10.3.0.1') AND INET_ATON('10.3.0.3')")
    expect(taken.map((r: any) => r.a)).toEqual(['10.3.0.1'])
  })

  it('SIGINT while the sandbox server starts: exit 130 and no server left running', async () => {
    const userHome = tempHome()
    const sandboxDir = join(userHome, '.local', 'share', 'ipam', 'sandbox')
    const {child, done} = start(['sandbox', 'start'], {}, userHome)
    // server.log is created just before the server process is spawned.
    while (!existsSync(join(sandboxDir, 'server.log'))) {
      if (child.exitCode !== null) throw new Error(`sandbox start ended first: ${(await done).stderr}`)
      await sleep(10)
    }
    await sleep(100)
    child.kill('SIGINT')
    const r = await done
    expect(r.code, r.stderr).toBe(130)
    await sleep(500)
    const left = spawnSync('pgrep', ['-f', sandboxDir], {encoding: 'utf8'}).stdout.trim()
    expect(left).toBe('')
  })
})
