import {existsSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {gunzipSync, gzipSync} from 'node:zlib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LATEST_VERSION} from '../../src/db/schema.js'
import {cliFor, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {hasPty, runPty} from '../support/pty.js'

/** The data lines of a backup: everything but the header (time) and the trailer (checksum over both). */
async function dataLines(file: string): Promise<string[]> {
  const lines = gunzipSync(await readFile(file)).toString('utf8').trimEnd().split('\n')
  return lines.slice(1, -1)
}

async function counts(db: TestDatabase) {
  const out: Record<string, number> = {}
  for (const t of ['ip', 'ippool_range', 'ippool', 'ipnet', 'ip_request', 'auth_user']) out[t] = Number((await db.sql(`SELECT COUNT(*) AS n FROM ${t}`))[0].n)
  return out
}

describe('backup and restore', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const home = tempHome()
  beforeAll(async () => {
    db = await freshDatabase('backup')
    run = cliFor(db.url, home)
    for (const args of [
      ['networks', 'add', '10.0.0.0/15', '--location', 'paris', '--note', 'big "one", with commas'],
      ['networks', 'add', '2001:db8::/48', '--name', 'v6'],
      ['pools', 'add', 'big', '--location', 'paris'],
      ['ranges', 'add', 'big', '10.0.0.0/15'],
      ['requests', 'submit', '--ip', '10.1.255.1', '--email', 'r@example.com', '--description', 'line one\nline two'],
      ['settings', 'set', 'support-email', 'noc@example.com'],
    ]) expect((await run(args)).code, args.join(' ')).toBe(0)
    expect((await run(['users', 'create', 'admin@example.com', '--admin', '--password-stdin'], {input: 'correct horse battery'})).code).toBe(0)
    // 100,000 addresses, with every kind of value
    const rows: unknown[][] = []
    for (let i = 1; i <= 100_000; i++) rows.push([4, 0x0a000000 + i, i % 3 === 0 ? 'USED' : i % 3 === 1 ? 'ALLOCATED' : 'RESERVED', i % 7 === 0 ? null : `host-${i}`, i % 2 ? 'VM' : null, i % 11 === 0 ? `desc, "quoted" ${i}\nünïcode` : null])
    for (let i = 0; i < rows.length; i += 5000) await db.pool.query('INSERT INTO ip (family, addr, status, assigned_to, assign_type, description) VALUES ?', [rows.slice(i, i + 5000)])
    await db.sql("INSERT INTO ip (family, addr, status) VALUES (6, CAST('42540766411282592856903984951653826561' AS DECIMAL(39,0)), 'USED')")
  }, 300_000)
  afterAll(() => db.drop())

  it('round-trips: backup, restore, backup gives identical content (100,000 addresses)', async () => {
    const dir = tempHome()
    const first = join(dir, 'first.ipam-backup.gz')
    const b1 = await run(['backup', '-o', first, '--json'])
    expect(b1.code, b1.stderr).toBe(0)
    expect(b1.json().counts).toMatchObject({ip: 100_001, ipnet: 2, ippool: 1, ippool_range: 1, ip_request: 1, auth_user: 1, ipam_settings: 1})
    const before = await counts(db)

    // wipe by hand, then restore into the empty address space: no question asked
    for (const t of ['ip_request', 'ip', 'ippool_range', 'ippool', 'ipnet', 'auth_user']) await db.sql(`DELETE FROM ${t}`)
    const r = await run(['restore', first, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(await counts(db)).toEqual(before)

    const second = join(dir, 'second.ipam-backup.gz')
    expect((await run(['backup', '-o', second])).code).toBe(0)
    expect(await dataLines(second)).toEqual(await dataLines(first))
    // the restored database works: next-free continues after the restored addresses
    const next = await run(['ips', 'allocate', '--pool', 'big', '--json'])
    expect(next.json().addresses[0].address).toBe('10.1.134.161')
  })

  it('writes a header with versions, instance id and counts, and never a secret', async () => {
    const file = join(tempHome(), 'h.ipam-backup.gz')
    const user = `bk_${db.name.slice(-8)}`
    await db.sql(`CREATE USER '${user}'@'%' IDENTIFIED BY 'Pa55-w0rd-secret'`)
    await db.sql(`GRANT ALL ON \`${db.name}\`.* TO '${user}'@'%'`)
    const withPassword = db.url.replace('root@', `${user}:Pa55-w0rd-secret@`)
    const r = await run(['backup', '-o', file], {env: {IPAM_DATABASE_URL: withPassword}})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout + r.stderr).not.toContain('Pa55-w0rd-secret')
    const text = gunzipSync(await readFile(file)).toString('utf8')
    const header = JSON.parse(text.split('\n')[0])
    expect(Object.keys(header).sort()).toEqual(['counts', 'createdAt', 'database', 'format', 'formatVersion', 'instanceId', 'schemaVersion'])
    expect(header).toMatchObject({format: 'ipam-backup', formatVersion: 1, schemaVersion: LATEST_VERSION, instanceId: expect.stringMatching(/^[0-9a-f-]{36}$/)})
    expect(text).not.toContain('Pa55-w0rd-secret')
    expect(text).not.toContain('correct horse')
  })

  it('refuses a damaged or truncated file and changes nothing', async () => {
    const dir = tempHome()
    const good = join(dir, 'good.gz')
    await run(['backup', '-o', good])
    const lines = gunzipSync(await readFile(good)).toString('utf8').split('\n')
    const tampered = join(dir, 'tampered.gz')
    await writeFile(tampered, gzipSync(lines.map((l) => l.replace('host-5"', 'host-X"')).join('\n')))
    const truncated = join(dir, 'truncated.gz')
    await writeFile(truncated, gzipSync(lines.slice(0, 1000).join('\n')))
    const notBackup = join(dir, 'x.gz')
    await writeFile(notBackup, 'hello')
    const before = await counts(db)
    for (const [file, message] of [[tampered, 'checksum'], [truncated, 'end marker'], [notBackup, '']] as const) {
      const r = await run(['restore', file, '--yes'])
      expect(r.code, file).toBe(2)
      expect(r.stderr).toContain(message)
    }
    const missing = await run(['restore', join(dir, 'nope.gz'), '--yes'])
    expect(missing.code).toBe(3)
    expect(await counts(db)).toEqual(before)
  })

  it.skipIf(!hasPty)('asks before restoring over data: exit 6 without a terminal, the typed name on a terminal', async () => {
    const file = join(tempHome(), 'over.gz')
    await run(['backup', '-o', file])
    await run(['networks', 'add', '192.0.2.0/24'])
    const refused = await run(['restore', file])
    expect(refused.code).toBe(6)
    expect((await db.sql("SELECT COUNT(*) AS n FROM ipnet WHERE cidr = '192.0.2.0/24'"))[0].n).toBe('1')
    const session = runPty(['restore', file], {env: {IPAM_DATABASE_URL: db.url}, home})
    // over more than 1,000 addresses the database name is typed, as for purge
    await session.expect(`Type the database name (${db.name})`)
    session.write(`${db.name}\r`)
    await session.expect('Restored')
    expect((await session.exited()).code).toBe(0)
    expect((await db.sql("SELECT COUNT(*) AS n FROM ipnet WHERE cidr = '192.0.2.0/24'"))[0].n).toBe('0')
  })
})

describe('purge', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const home = tempHome()
  const populate = async () => {
    for (const args of [['networks', 'add', '192.0.2.0/24'], ['pools', 'add', 'p'], ['ranges', 'add', 'p', '192.0.2.0/25'], ['ips', 'allocate', '--pool', 'p', '--count', '3']]) {
      expect((await run(args)).code).toBe(0)
    }
  }
  beforeAll(async () => {
    db = await freshDatabase('purge')
    run = cliFor(db.url, home)
    await populate()
  })
  afterAll(() => db.drop())

  it('refuses without a terminal and without --yes, deleting nothing', async () => {
    const before = await counts(db)
    const r = await run(['purge'])
    expect(r.code).toBe(6)
    expect(r.stderr).toContain('--yes')
    const noBackup = await run(['purge', '--no-backup'])
    expect(noBackup.code).toBe(2)
    expect(await counts(db)).toEqual(before)
  })

  it.skipIf(!hasPty)('shows the counts, writes the backup first, and deletes nothing when the wrong name is typed', async () => {
    const before = await counts(db)
    const session = runPty(['purge', '--backup', join(home, 'wrong.gz')], {env: {IPAM_DATABASE_URL: db.url}, home})
    await session.expect('deletes 3 addresses, 1 range, 1 pool and 1 network')
    await session.expect(`Backup written to ${join(home, 'wrong.gz')}`)
    await session.expect('Type the database name')
    session.write('production\r')
    await session.expect('does not match')
    expect((await session.exited()).code).toBe(6)
    expect(await counts(db)).toEqual(before)
    expect(existsSync(join(home, 'wrong.gz'))).toBe(true)
  })

  it.skipIf(!hasPty)('purges everything when the right name is typed; the backup restores it', async () => {
    const session = runPty(['purge'], {env: {IPAM_DATABASE_URL: db.url}, home})
    await session.expect('Backup written to ')
    const path = /Backup written to (\S+)/.exec(session.output)![1]
    await session.expect('Type the database name')
    session.write(`${db.name}\r`)
    await session.expect('Purged')
    expect((await session.exited()).code).toBe(0)
    expect(await counts(db)).toMatchObject({ip: 0, ippool_range: 0, ippool: 0, ipnet: 0})
    expect(path).toContain(join(home, '.local/share/ipam/backups'))
    expect((await run(['restore', path])).code).toBe(0)
    expect(await counts(db)).toMatchObject({ip: 3, ippool_range: 1, ippool: 1, ipnet: 1})
  })

  it('purges with --yes in a script, printing the backup path', async () => {
    const r = await run(['purge', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({database: db.name, deleted: {addresses: 3, ranges: 1, pools: 1, networks: 1}, backup: expect.stringContaining('.ipam-backup.gz')})
    expect(existsSync(r.json().backup)).toBe(true)
    await populate()
    const bare = await run(['purge', '--yes', '--no-backup', '--json'])
    expect(bare.json().backup).toBeNull()
  })

  it('is refused on a master that has platforms joined', async () => {
    // populated whichever tests ran before (`-t` may run this one alone)
    if ((await counts(db)).ipnet === 0) await populate()
    await db.sql("INSERT INTO ipam_platforms (instance_id, name) VALUES ('11111111-2222-3333-4444-555555555555', 'platform-a')")
    const before = await counts(db)
    const r = await run(['purge', '--yes'])
    expect(r.code).toBe(4)
    expect(r.stderr).toContain('platform-a')
    expect(await counts(db)).toEqual(before)
    await db.sql('DELETE FROM ipam_platforms')
  })

  it('writes the audit log', async () => {
    // its own database: it does not rely on the terminal tests above having purged and restored
    const own = await freshDatabase('purge_audit')
    const ownRun = cliFor(own.url, home)
    try {
      for (const args of [['networks', 'add', '192.0.2.0/24'], ['ips', 'allocate', '192.0.2.9']]) expect((await ownRun(args)).code, args.join(' ')).toBe(0)
      const purged = await ownRun(['purge', '--yes', '--json'])
      expect(purged.code, purged.stderr).toBe(0)
      const restored = await ownRun(['restore', purged.json().backup, '--yes'])
      expect(restored.code, restored.stderr).toBe(0)
      const log = (await ownRun(['log', '--json', '--limit', '200'])).json().map((e: any) => e.action)
      expect(log).toContain('purge')
      expect(log).toContain('restore')
    } finally {
      await own.drop()
    }
  })
})
