import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliFor} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {hasPty, runPty} from '../support/pty.js'

describe('users', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  beforeAll(async () => {
    db = await freshDatabase('users')
    run = cliFor(db.url)
  })
  afterAll(() => db.drop())

  it('creates a user with a password from stdin, stored as a salted scrypt hash', async () => {
    const r = await run(['users', 'create', 'Alice@Example.com', '--password-stdin'], {input: 'correct horse\n'})
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Created user alice@example.com')
    expect(r.stdout + r.stderr).not.toContain('correct horse')
    const [row] = await db.sql("SELECT password_hash, roles FROM auth_user WHERE email = 'alice@example.com'")
    expect(row.password_hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
    expect(typeof row.roles === "string" ? JSON.parse(row.roles) : row.roles).toEqual([])
  })

  it('refuses a duplicate user with exit 4 and a bad e-mail with exit 2', async () => {
    expect((await run(['users', 'create', 'dora@example.com', '--no-password'])).code).toBe(0)
    const dup = await run(['users', 'create', 'dora@example.com', '--no-password'])
    expect(dup.code).toBe(4)
    const bad = await run(['users', 'create', 'not-an-email', '--no-password', '--json'])
    expect(bad.code).toBe(2)
    expect(bad.json().error.message).toContain('not-an-email')
  })

  it('asks for a password without a terminal only by refusing, naming --password-stdin', async () => {
    const r = await run(['users', 'create', 'bob@example.com'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--password-stdin')
    expect(await db.sql("SELECT id FROM auth_user WHERE email = 'bob@example.com'")).toEqual([])
  })

  it.skipIf(!hasPty)('takes a password through a hidden prompt on a terminal, never echoing it', async () => {
    const session = runPty(['users', 'create', 'carol@example.com', '--admin'], {env: {IPAM_DATABASE_URL: db.url}})
    await session.expect('Password for carol@example.com')
    session.write('Tr0ub4dor&3\r')
    await session.expect('Again')
    session.write('Tr0ub4dor&3\r')
    await session.expect('Created user carol@example.com (admin)')
    expect((await session.exited()).code).toBe(0)
    expect(session.output).not.toContain('Tr0ub4dor')
    expect(session.output).not.toMatch(/\*{3,}/) // not even one * per character
  })

  it('promotes a user to @admin, keeping other roles, idempotently', async () => {
    await db.sql(`INSERT INTO auth_user (email, roles) VALUES ('ops@example.com', '["@ops"]')`)
    const first = await run(['users', 'promote', 'ops@example.com', '--json'])
    expect(first.code).toBe(0)
    expect(first.json()).toMatchObject({email: 'ops@example.com', roles: ['@ops', '@admin'], admin: true, changed: true})
    const second = await run(['users', 'promote', 'ops@example.com', '--json'])
    expect(second.json()).toMatchObject({roles: ['@ops', '@admin'], changed: false})
    const text = await run(['users', 'promote', 'ops@example.com'])
    expect(text.stdout).toContain('already an admin')
  })

  it('exits 3 for an unknown e-mail, in text and JSON', async () => {
    const r = await run(['users', 'promote', 'nobody@example.com'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('nobody@example.com')
    const j = await run(['users', 'promote', 'nobody@example.com', '--json'])
    expect(j.code).toBe(3)
    expect(j.json()).toEqual({error: expect.objectContaining({code: 'not_found'})})
  })

  it('shows a user promoted by the documented SQL as an admin', async () => {
    await run(['users', 'create', 'admin@example.com', '--no-password'])
    await db.sql(`update auth_user set roles='["@admin"]' where email='admin@example.com'`)
    const list = await run(['users', 'list', '--json'])
    expect(list.json()).toContainEqual(expect.objectContaining({email: 'admin@example.com', admin: true, roles: ['@admin']}))
    const text = await run(['users', 'list', '--no-color', '--output', 'table'])
    expect(text.stdout).toMatch(/admin@example\.com\s+│\s+@admin\s+│\s+yes/)
  })

  it('writes every change to the audit log, with the OS user and the database user', async () => {
    // its own database: what the other tests did does not count here
    const own = await freshDatabase('users_audit')
    const ownRun = cliFor(own.url)
    try {
      for (const args of [['users', 'create', 'erin@example.com', '--no-password'], ['users', 'create', 'finn@example.com', '--password-stdin'], ['users', 'promote', 'erin@example.com'], ['users', 'promote', 'erin@example.com']]) {
        expect((await ownRun(args, {input: 'pw-of-finn\n'})).code, args.join(' ')).toBe(0)
      }
      const r = await ownRun(['log', '--action', 'users', '--json', '--limit', '100'])
      expect(r.code).toBe(0)
      const actions = r.json().map((e: any) => e.action)
      expect(actions.filter((a: string) => a === 'users.create').length).toBe(2)
      // the second promote changed nothing and wrote nothing
      expect(actions.filter((a: string) => a === 'users.promote').length).toBe(1)
      expect(r.json()[0]).toMatchObject({dbUser: expect.stringMatching(/^root@/), osUser: expect.any(String)})
    } finally {
      await own.drop()
    }
  })
})
