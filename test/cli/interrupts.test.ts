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
import {hasPty, runPty} from '../support/pty.js'
import {until} from '../support/wait.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const filesIn = (d: string) => (existsSync(d) ? readdirSync(d) : [])

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
  /** 120,000 addresses in 10.0.0.0/14 and a pool `wide` over 10.8.0.0/13: slow enough for a spinner to show. */
  let big: TestDatabase
  let bigBackup = ''
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
    big = await freshDatabase('interrupts_big')
    const runBig = cliFor(big.url, home)
    for (const args of [['networks', 'add', '10.0.0.0/14'], ['networks', 'add', '10.8.0.0/13'], ['pools', 'add', 'wide'], ['ranges', 'add', 'wide', '10.8.0.0/13'], ['ips', 'import', csv]]) {
      const r = await runBig(args, {timeoutMs: 300_000})
      expect(r.code, r.stderr).toBe(0)
    }
    bigBackup = join(dir, 'big.ipam-backup.gz')
    expect((await runBig(['backup', '-o', bigBackup], {timeoutMs: 300_000})).code).toBe(0)
  })
  afterAll(async () => {
    await db.drop()
    await big.drop()
  })

  /**
   * Ctrl-C typed on the terminal while the command's spinner shows (ora must not have swallowed it):
   * exit 130 soon after the key, and no table changed.
   */
  async function ctrlCUnderSpinner(target: TestDatabase, args: string[], spinnerText: string) {
    const before = await tableChecksums(target)
    const session = runPty(args, {env: {IPAM_DATABASE_URL: target.url}, home})
    await session.expect(spinnerText, 60_000)
    const typedAt = Date.now()
    session.interrupt()
    const {code} = await session.exited()
    const took = Date.now() - typedAt
    expect(code, session.output).toBe(130)
    expect(session.output).toMatch(/Interrupted/)
    // "within a second" on an idle machine; generous here, the suite shares two cores
    expect(took).toBeLessThan(5_000)
    expect(await tableChecksums(target)).toEqual(before)
    return took
  }

  it.skipIf(!hasPty)('Ctrl-C typed while an import spins: exit 130 and not one row of it', async () => {
    const empty = await freshDatabase('ctrlc_import')
    try {
      expect((await cliFor(empty.url, home)(['networks', 'add', '10.0.0.0/14'])).code).toBe(0)
      await ctrlCUnderSpinner(empty, ['ips', 'import', csv], 'Importing')
    } finally {
      await empty.drop()
    }
  })

  it.skipIf(!hasPty)('Ctrl-C typed while a backup spins: exit 130 and no file, not even a partial one', async () => {
    const out = join(dir, 'ctrlc-backup', 'x.ipam-backup.gz')
    await ctrlCUnderSpinner(big, ['backup', '-o', out], 'Writing')
    expect(filesIn(join(dir, 'ctrlc-backup'))).toEqual([])
  })

  it.skipIf(!hasPty)('Ctrl-C typed while a restore spins: exit 130 and the data as it was', async () => {
    await ctrlCUnderSpinner(big, ['restore', bigBackup, '--yes'], 'Restoring')
  })

  it.skipIf(!hasPty)('Ctrl-C typed while purge writes its backup, or while it deletes: exit 130, nothing purged', async () => {
    const backup = join(dir, 'ctrlc-purge', 'p.ipam-backup.gz')
    await ctrlCUnderSpinner(big, ['purge', '--yes', '--backup', backup], 'Writing the backup')
    expect(filesIn(join(dir, 'ctrlc-purge'))).toEqual([])
    await ctrlCUnderSpinner(big, ['purge', '--yes', '--no-backup'], 'Purging')
  })

  it.skipIf(!hasPty)('Ctrl-C typed while networks remove spins: exit 130, the network and its addresses stay', async () => {
    await ctrlCUnderSpinner(big, ['networks', 'remove', '10.0.0.0/14', '--yes'], 'Removing 10.0.0.0/14')
  })

  it.skipIf(!hasPty)('Ctrl-C typed while a large ips allocate --count spins: exit 130, nothing allocated', async () => {
    await ctrlCUnderSpinner(big, ['ips', 'allocate', '--pool', 'wide', '--count', '400000'], 'Allocating 400000')
  })

  it('SIGINT (the signal) in the middle of a long import: exit 130 and not one row of it', async () => {
    const empty = await freshDatabase('sigint_import')
    const before = await tableChecksums(empty)
    try {
      expect((await cliFor(empty.url, home)(['networks', 'add', '10.0.0.0/14'])).code).toBe(0)
      const after = await tableChecksums(empty)
      const {child, done} = start(['ips', 'import', csv], {IPAM_DATABASE_URL: empty.url}, home)
      // A dirty read sees the import's rows before it commits: interrupt once some are in.
      const u = parseDbUrl(empty.url)
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
      expect(await tableChecksums(empty)).toEqual(after)
      expect(after).not.toEqual(before)
    } finally {
      await empty.drop()
    }
  })

  it.skipIf(!hasPty)('Ctrl-C at a confirmation prompt: exit 130, nothing removed', async () => {
    const before = await tableChecksums(big)
    const session = runPty(['networks', 'remove', '10.0.0.0/14'], {env: {IPAM_DATABASE_URL: big.url}, home})
    await session.expect('?')
    session.interrupt()
    expect((await session.exited()).code).toBe(130)
    expect(await tableChecksums(big)).toEqual(before)
  })

  it.skipIf(!hasPty)('SIGINT (the signal, not the key) while a prompt waits: exit 130, nothing purged', async () => {
    const before = await tableChecksums(db)
    const session = runPty(['purge', '--backup', join(dir, 'purge.ipam-backup.gz')], {env: {IPAM_DATABASE_URL: db.url}, home})
    await session.expect(/type|Type/)
    session.signal('SIGINT')
    expect((await session.exited()).code).toBe(130)
    expect(await tableChecksums(db)).toEqual(before)
  })

  it.skipIf(!hasPty)('Ctrl-C in the middle of triage: exit 130, decisions made stand, the rest stay PENDING', async () => {
    const ids: number[] = []
    for (const ip of ['10.3.0.1', '10.3.0.2', '10.3.0.3']) ids.push((await run(['requests', 'submit', '--ip', ip, '--json'])).json().id)
    const session = runPty(['requests', 'triage', '--by', 'triager', '--no-color'], {env: {IPAM_DATABASE_URL: db.url}, home})
    await session.expect(`Decide #${ids[0]}`)
    session.write('a')
    await session.expect(`approved #${ids[0]}`)
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
    const serverProcesses = () => spawnSync('pgrep', ['-f', sandboxDir], {encoding: 'utf8'}).stdout.trim()
    // Signal once the server process runs (not after a fixed pause): the start is then truly under way.
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`sandbox start ended first: ${(await done).stderr}`)
      return existsSync(join(sandboxDir, 'server.log')) && serverProcesses() !== ''
    }, 120_000)
    child.kill('SIGINT')
    const r = await done
    expect(r.code, r.stderr).toBe(130)
    // the server it had started goes too (polled: its shutdown takes a moment on a loaded machine)
    await until(() => serverProcesses() === '', 30_000).catch(() => undefined)
    expect(serverProcesses()).toBe('')
  })
})
