import {execFileSync} from 'node:child_process'
import {chmod, mkdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LATEST_VERSION} from '../../src/db/schema.js'
import {cliFor, ROOT, runCli, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'

describe('the CLI skeleton', () => {
  it('says what is wrong with flags in one plain line, without oclif\'s preamble', async () => {
    const r = await runCli(['sandbox', 'start', '--cluster', '3', '--port', '5000'])
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toBe('Error: --cluster=3 cannot also be provided when using --port')
  })

  it('has an oclif manifest that is current with the commands (rebuilt by the build, committed)', () => {
    let tracked = true
    try {
      execFileSync('git', ['ls-files', '--error-unmatch', 'oclif.manifest.json'], {cwd: ROOT, stdio: 'ignore'})
    } catch {
      tracked = false
    }
    expect(tracked, 'oclif.manifest.json must be committed').toBe(true)
    const diff = execFileSync('git', ['diff', '--stat', 'HEAD', '--', 'oclif.manifest.json'], {cwd: ROOT, encoding: 'utf8'})
    expect(diff, 'the build changed oclif.manifest.json: commit the regenerated manifest').toBe('')
  })

  it('lists the topics in --help', async () => {
    const r = await runCli(['--help'])
    expect(r.code).toBe(0)
    for (const topic of ['config', 'db', 'sandbox', 'users']) expect(r.stdout).toMatch(new RegExp(`^\\s+${topic}\\s`, 'm'))
    // every topic has its own description, not one of its commands' summaries
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
    const topics = new Set(Object.keys(pkg.oclif.topics))
    for (const m of r.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)) if (/TOPICS[\s\S]*COMMANDS/.exec(r.stdout)?.[0].includes(`  ${m[1]}  `)) expect(topics, `topic ${m[1]} has no description`).toContain(m[1])
  })

  it('gives every command --help with examples', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'oclif.manifest.json'), 'utf8'))
    // plugin-help's `help` and autocomplete's hidden helpers are listed too (the bundle's index carries them)
    const own = Object.values<any>(manifest.commands).filter((c) => !c.hidden && c.id !== 'help')
    expect(own.length).toBeGreaterThan(10)
    for (const command of own) expect(command.examples?.length ?? 0, `${command.id} has no examples`).toBeGreaterThan(0)
  })

  it('refuses an unknown flag with exit 2, also as JSON', async () => {
    const r = await runCli(['users', 'list', '--bogus'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--bogus')
    const j = await runCli(['users', 'list', '--bogus', '--json'])
    expect(j.code).toBe(2)
    expect(j.json().error.code).toBe('usage')
  })
})

describe('connecting', () => {
  it('exits 5 on an unreachable database and never prints the password', async () => {
    const r = await runCli(['users', 'list'], {env: {IPAM_DATABASE_URL: 'mysql://ipam:Sup3rS3cret@127.0.0.1:1/ipam'}})
    expect(r.code).toBe(5)
    expect(r.stderr).toContain('mysql://ipam:****@127.0.0.1:1/ipam')
    expect(r.stdout + r.stderr).not.toContain('Sup3rS3cret')
    const j = await runCli(['users', 'list', '--json', '--db', 'mysql://ipam:Sup3rS3cret@127.0.0.1:1/ipam'])
    expect(j.code).toBe(5)
    expect(j.json()).toEqual({error: expect.objectContaining({code: 'unreachable'})})
    expect(j.stdout + j.stderr).not.toContain('Sup3rS3cret')
  })

  it('says how to configure a database when none is given', async () => {
    const r = await runCli(['users', 'list'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no database configured/)
    expect(r.stderr).toMatch(/ipam config set db/)
  })
})

describe('profiles', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase('profiles')
  })
  afterAll(() => db.drop())

  it('stores profiles in a 0600 file, shows the password masked, and connects through them', async () => {
    const home = tempHome()
    const withPw = db.url.replace('root@', 'root:NotReallyUsed@')
    const set = await runCli(['config', 'set', 'db', withPw, '--profile', 'lab'], {home})
    expect(set.code).toBe(0)
    expect(set.stdout).not.toContain('NotReallyUsed')
    const file = join(home, '.config', 'ipam', 'config.json')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const list = await runCli(['config', 'list', '--json'], {home})
    expect(list.json().values).toEqual([{profile: 'lab', key: 'db', value: expect.stringContaining('root:****@')}])
    const get = await runCli(['config', 'get', 'db', '--profile', 'lab'], {home})
    expect(get.stdout.trim()).toMatch(/^mysql:\/\/root:\*\*\*\*@/)

    await runCli(['config', 'set', 'db', db.url, '--profile', 'lab'], {home})
    const users = await runCli(['users', 'list', '--json', '--profile', 'lab'], {home})
    expect(users.code).toBe(0)
    expect(users.json()).toEqual([])
    const viaEnv = await runCli(['users', 'list', '--json'], {home, env: {IPAM_PROFILE: 'lab'}})
    expect(viaEnv.code).toBe(0)

    const unset = await runCli(['config', 'unset', 'db', '--profile', 'lab'], {home})
    expect(unset.code).toBe(0)
    const gone = await runCli(['config', 'get', 'db', '--profile', 'lab'], {home})
    expect(gone.code).toBe(3)
  })

  it('refuses a profile file that others can read, and prints the chmod fix', async () => {
    const home = tempHome()
    const dir = join(home, '.config', 'ipam')
    await mkdir(dir, {recursive: true})
    const file = join(dir, 'config.json')
    await writeFile(file, JSON.stringify({profiles: {default: {db: db.url}}}))
    await chmod(file, 0o644)
    const r = await runCli(['users', 'list'], {home})
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`chmod 600 ${file}`)
    await chmod(file, 0o600)
    const ok = await runCli(['users', 'list', '--json'], {home})
    expect(ok.code).toBe(0)
  })

  it('reads the password from IPAM_DATABASE_PASSWORD so it never has to be in argv', async () => {
    const r = await runCli(['users', 'list', '--json'], {env: {IPAM_DATABASE_URL: db.url, IPAM_DATABASE_PASSWORD: ''}})
    expect(r.code).toBe(0)
    const denied = await runCli(['users', 'list'], {env: {IPAM_DATABASE_URL: db.url.replace('root@', 'nosuchuser@'), IPAM_DATABASE_PASSWORD: 'Wr0ngPassw0rd'}})
    expect(denied.code).toBe(5)
    expect(denied.stderr).toMatch(/access denied/)
    expect(denied.stdout + denied.stderr).not.toContain('Wr0ngPassw0rd')
  })
})

describe('schema migrations', () => {
  it('migrates an empty database, twice at the same moment, to one correct schema', async () => {
    const db = await freshDatabase('migrate', {migrated: false})
    try {
      const run = cliFor(db.url)
      const before = await run(['users', 'list'])
      expect(before.code).toBe(5)
      expect(before.stderr).toContain('ipam db migrate')
      const status0 = await run(['db', 'status', '--json'])
      expect(status0.json()).toMatchObject({version: 0, upToDate: false})

      const [a, b] = await Promise.all([run(['db', 'migrate', '--json']), run(['db', 'migrate', '--json'])])
      expect([a.code, b.code]).toEqual([0, 0])
      const again = await run(['db', 'migrate', '--json'])
      expect(again.json()).toMatchObject({applied: [], version: LATEST_VERSION})
      const status = await run(['db', 'status', '--json'])
      expect(status.json()).toMatchObject({version: LATEST_VERSION, upToDate: true, pending: []})
      expect(status.json().instanceId).toMatch(/^[0-9a-f-]{36}$/)
      expect(Number((await db.sql("SELECT COUNT(*) AS n FROM ipam_settings WHERE name = 'instance-id'"))[0].n)).toBe(1)
      const tables = (await db.sql<{t: string}>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()')).map((r) => r.t)
      for (const t of ['ipnet', 'ippool', 'ippool_range', 'ip', 'auth_user', 'ip_request', 'ipam_migrations', 'ipam_settings', 'ipam_audit', 'ipam_outbox', 'ipam_integration', 'ipam_platforms']) {
        expect(tables).toContain(t)
      }
    } finally {
      await db.drop()
    }
  })

  it('creates the database named in the URL when it does not exist', async () => {
    const db = await freshDatabase('creates', {migrated: false})
    await db.drop()
    const r = await runCli(['db', 'migrate'], {env: {IPAM_DATABASE_URL: db.url}})
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`schema version ${LATEST_VERSION}`)
    const again = await freshDatabase('cleanup', {migrated: false})
    await again.pool.query(`DROP DATABASE \`${db.name}\``)
    await again.drop()
  })

  it('keeps every table InnoDB with a primary key', async () => {
    const db = await freshDatabase('engines')
    try {
      const rows = await db.sql(`SELECT t.table_name AS t, t.engine AS e,
          (SELECT COUNT(*) FROM information_schema.table_constraints c WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY') AS pk
        FROM information_schema.tables t WHERE t.table_schema = DATABASE()`)
      expect(rows.length).toBeGreaterThan(10)
      for (const r of rows) expect({table: r.t, engine: r.e, pk: Number(r.pk)}).toEqual({table: r.t, engine: 'InnoDB', pk: 1})
    } finally {
      await db.drop()
    }
  })
})
