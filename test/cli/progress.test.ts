import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliFor, runCli, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {hasPty, runPty} from '../support/pty.js'

const dir = mkdtempSync(join(tmpdir(), 'ipam-progress-'))
const home = tempHome()

/** 2,000 addresses in 10.21.0.0/16. */
const csv = join(dir, 'addresses.csv')
writeFileSync(csv, ['address,status,description', ...Array.from({length: 2000}, (_, i) => `10.21.${(i + 1) >> 8}.${(i + 1) & 255},ALLOCATED,host ${i + 1}`)].join('\n') + '\n')

/** A database with 3,000 addresses: the 2,000 above, outside any pool, and 1,000 in pool `racks` (10.22.0.0/20). */
async function filled(label: string): Promise<TestDatabase & {run: ReturnType<typeof cliFor>}> {
  const db = await freshDatabase(label)
  const run = cliFor(db.url, home)
  for (const args of [['networks', 'add', '10.21.0.0/16'], ['networks', 'add', '10.22.0.0/16'], ['pools', 'add', 'racks'], ['ranges', 'add', 'racks', '10.22.0.0/20'], ['ips', 'import', csv], ['ips', 'allocate', '--pool', 'racks', '--count', '1000']]) {
    const r = await run(args)
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
  }
  return {...db, run}
}

const onTerminal = (db: TestDatabase, args: string[]) => runPty(args, {home, cols: 120, env: {IPAM_DATABASE_URL: db.url, LANG: 'C.UTF-8'}})

/** What progress looks like on stderr; none of it may reach a pipe. */
const PROGRESS = /·|\d+ s\b|\r|\u001b/

describe('progress with counts on a terminal, and nothing of it through a pipe', () => {
  let db: TestDatabase & {run: ReturnType<typeof cliFor>}
  let addresses = 0

  beforeAll(async () => {
    db = await filled('progress')
    addresses = Number((await db.sql('SELECT COUNT(*) AS n FROM ip'))[0].n)
  })
  afterAll(async () => {
    await db?.drop()
  })

  it.skipIf(!hasPty)('backup and restore show rows done of the total, table by table, and the time taken', async () => {
    const file = join(dir, 'terminal.ipam-backup.gz')
    const count = addresses.toLocaleString('en-US')
    const backup = runPty(['backup', '-o', file], {home, cols: 120, env: {IPAM_DATABASE_URL: db.url, LANG: 'C.UTF-8', CI: 'true'}})
    await backup.expect(`Writing ${file}: ip 0/${count} rows · `)
    await backup.expect(`Writing ${file}: ip ${count}/${count} rows · `)
    expect((await backup.exited()).code, backup.output).toBe(0)
    expect(backup.output).toMatch(/Backup written to .*: .*, \d+ ip,/)

    const restore = onTerminal(db, ['restore', file, '--yes'])
    await restore.expect(new RegExp(`Reading ${file}: checking [\\d,]+/[\\d,]+ rows · \\d+ s`))
    await restore.expect(`Restoring ${file}: deleting the current data · `)
    await restore.expect(`Restoring ${file}: ip ${count}/${count} rows · `)
    expect((await restore.exited()).code, restore.output).toBe(0)
    expect(Number((await db.sql('SELECT COUNT(*) AS n FROM ip'))[0].n)).toBe(addresses)
  })

  it('backup and restore through a pipe write no progress at all', async () => {
    const file = join(dir, 'piped.ipam-backup.gz')
    const backup = await db.run(['backup', '-o', file])
    expect(backup.code, backup.stderr).toBe(0)
    expect(backup.stderr).toBe('')
    const restore = await db.run(['restore', file, '--yes'])
    expect(restore.code, restore.stderr).toBe(0)
    // only the note that it replaces what is there
    expect(restore.stderr).toMatch(/^This database holds .* restoring replaces them all\.\n$/)
    expect(restore.stderr).not.toMatch(PROGRESS)
  })

  it.skipIf(!hasPty)('ips import and ips export to a file count rows on a terminal', async () => {
    const empty = await freshDatabase('progress_import')
    try {
      expect((await cliFor(empty.url, home)(['networks', 'add', '10.21.0.0/16'])).code).toBe(0)
      const imported = onTerminal(empty, ['ips', 'import', csv])
      await imported.expect(new RegExp(`Importing ${csv}: [\\d,]+ rows · \\d+ s`))
      expect((await imported.exited()).code, imported.output).toBe(0)
      const out = join(dir, 'export.csv')
      const exported = onTerminal(empty, ['ips', 'export', '-o', out])
      await exported.expect(new RegExp(`Exporting to ${out}: [\\d,]+ rows · \\d+ s`))
      expect((await exported.exited()).code, exported.output).toBe(0)
      expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(2001)
    } finally {
      await empty.drop()
    }
  })

  it.skipIf(!hasPty)('pools remove and networks remove count the addresses they delete on a terminal', async () => {
    const doomed = await filled('progress_remove')
    try {
      const pool = onTerminal(doomed, ['pools', 'remove', 'racks', '--yes'])
      await pool.expect('Removing pool racks: deleting 0/1,000 addresses · ')
      await pool.expect('Removing pool racks: deleting 1,000/1,000 addresses · ')
      expect((await pool.exited()).code, pool.output).toBe(0)
      const net = onTerminal(doomed, ['networks', 'remove', '10.21.0.0/16', '--yes'])
      await net.expect('Removing 10.21.0.0/16: deleting 2,000/2,000 addresses · ')
      expect((await net.exited()).code, net.output).toBe(0)
      expect(Number((await doomed.sql('SELECT COUNT(*) AS n FROM ip'))[0].n)).toBe(0)
    } finally {
      await doomed.drop()
    }
  })

  it('pools remove, networks remove, import and export through a pipe show no progress', async () => {
    const doomed = await filled('progress_remove_piped')
    try {
      for (const args of [['ips', 'export', '-o', join(dir, 'piped-export.csv')], ['pools', 'remove', 'racks', '--yes'], ['networks', 'remove', '10.21.0.0/16', '--yes'], ['networks', 'add', '10.21.0.0/16'], ['ips', 'import', csv]]) {
        const r = await doomed.run(args)
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
        expect(r.stderr, args.join(' ')).not.toMatch(PROGRESS)
      }
      // what was removed went, and the import put its 2,000 back
      expect(Number((await doomed.sql('SELECT COUNT(*) AS n FROM ip'))[0].n)).toBe(2000)
    } finally {
      await doomed.drop()
    }
  })
})

describe('a connection that waits says what it waits for', () => {
  /** Accepts connections and never says a word (a server that hangs, or a firewall that swallows the handshake). */
  let silent: Server
  const sockets: Socket[] = []
  let url = ''
  let port = 0

  beforeAll(async () => {
    silent = createServer((s) => sockets.push(s))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    port = (silent.address() as {port: number}).port
    url = `mysql://ipam@127.0.0.1:${port}/inventory`
  })
  afterAll(() => {
    for (const s of sockets) s.destroy()
    silent.close()
  })

  it.skipIf(!hasPty)('shows "connecting to host:port … N s" on a terminal after a second (CI set or not), and Ctrl-C still ends it', async () => {
    // CI in the environment once turned every spinner into a static line (ora's own check): a terminal is a terminal.
    const session = runPty(['networks', 'list'], {home, env: {IPAM_DATABASE_URL: url, CI: 'true'}})
    await session.expect(`connecting to 127.0.0.1:${port} … 1 s`)
    await session.expect(`connecting to 127.0.0.1:${port} … 2 s`)
    session.interrupt()
    expect((await session.exited()).code, session.output).toBe(130)
  })

  it('says nothing of the wait through a pipe: only the error, when the attempt times out (after the URL\'s connect-timeout)', async () => {
    const started = Date.now()
    const r = await runCli(['networks', 'list'], {home, env: {IPAM_DATABASE_URL: `${url}?connect-timeout=1.5`}, timeoutMs: 60_000})
    expect(r.code, r.stderr).toBe(5)
    expect(r.stderr).toMatch(/^Error: cannot reach the database at mysql:\/\/ipam@127\.0\.0\.1:\d+\/inventory\?connect-timeout=1\.5: ETIMEDOUT\n/)
    expect(r.stderr).not.toMatch(/connecting to/)
    // given up after the URL's 1.5 s (ignored, the default 10 s would break this bound)
    expect(Date.now() - started).toBeLessThan(9500)
  })
})
