import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import mysql from 'mysql2/promise'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliFor, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {MIGRATIONS} from '../../src/db/schema.js'
import {parseDbUrl} from '../../src/db/url.js'

/** Row checksums of the tables an edit may touch, to prove a refusal changed nothing. */
async function snapshot(db: TestDatabase) {
  const out: Record<string, unknown> = {}
  for (const t of ['ipnet', 'ippool', 'ippool_range', 'ip', 'auth_user', 'ipam_audit']) out[t] = (await db.sql(`CHECKSUM TABLE ${t}`))[0].Checksum
  return out
}

describe('edit, search, history and networks export/import through the CLI', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const home = tempHome()
  beforeAll(async () => {
    db = await freshDatabase('cli_edit')
    run = cliFor(db.url, home)
    for (const args of [
      ['networks', 'add', '10.20.0.0/24', '--name', 'lan', '--gateway', '10.20.0.1'],
      ['pools', 'add', 'office'],
      ['pools', 'add', 'lab'],
      ['ranges', 'add', 'office', '10.20.0.10-10.20.0.100'],
      ['ips', 'allocate', '10.20.0.50', '--assigned-to', 'alice', '--hostname', 'Alice-PC.example.com', '--mac', '00-1A-2B-3C-4D-5E'],
    ]) {
      const r = await run(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }
  })
  afterAll(() => db.drop())

  it('has --help with examples for every new command', async () => {
    for (const cmd of [['networks', 'set'], ['pools', 'set'], ['ips', 'set'], ['users', 'set'], ['users', 'remove'], ['search'], ['ips', 'history'], ['networks', 'history'], ['pools', 'history'], ['networks', 'export'], ['networks', 'import']]) {
      const r = await run([...cmd, '--help'])
      expect(r.code, cmd.join(' ')).toBe(0)
      expect(r.stdout, cmd.join(' ')).toContain('EXAMPLES')
      expect(r.stdout).toContain(`ipam ${cmd.join(' ')}`)
    }
  })

  it('allocates with hostname and MAC, stored canonically, shown by ips show and list', async () => {
    const show = await run(['ips', 'show', '10.20.0.50', '--json'])
    expect(show.json()).toMatchObject({hostname: 'alice-pc.example.com', mac: '00:1a:2b:3c:4d:5e'})
    const text = await run(['ips', 'show', '10.20.0.50'])
    expect(text.stdout).toMatch(/Hostname\s+alice-pc\.example\.com/)
    expect(text.stdout).toMatch(/MAC\s+00:1a:2b:3c:4d:5e/)
    const list = await run(['ips', 'list', '--search', 'alice-pc'])
    expect(list.stdout).toContain('alice-pc.example.com')
    expect((await run(['ips', 'list', '--hostname', 'alice-pc', '--json'])).json().map((a: any) => a.address)).toEqual(['10.20.0.50'])
    expect((await run(['ips', 'list', '--assigned-to', 'nobody', '--json'])).json()).toEqual([])
  })

  it('networks set prints old → new, and --json returns the new object', async () => {
    const r = await run(['networks', 'set', '10.20.0.0/24', '--name', 'office-lan', '--vlan', '20'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('name: lan → office-lan')
    expect(r.stdout).toContain('vlan: - → 20')
    const j = await run(['networks', 'set', '10.20.0.0/24', '--clear', 'gateway', '--json'])
    expect(j.json()).toMatchObject({cidr: '10.20.0.0/24', name: 'office-lan', gateway: null, vlan: 20, changed: true, changes: {gateway: {old: '10.20.0.1', new: null}}})
  })

  it('refuses bad edits with the documented exit code, naming the value, changing nothing', async () => {
    const before = await snapshot(db)
    const cases: [string[], number, string][] = [
      [['networks', 'set', '10.20.0.0/24', '--gateway', '10.99.0.1'], 2, '10.99.0.1'],
      [['networks', 'set', '10.20.0.0/24', '--gateway', '10.20.0.50'], 4, '10.20.0.50'],
      [['networks', 'set', '10.21.0.0/24', '--name', 'x'], 3, '10.21.0.0/24'],
      [['networks', 'set', '10.20.0.0/24', '--name', ''], 2, '--clear name'],
      [['networks', 'set', '10.20.0.0/24', '--clear', 'cidr'], 2, 'cidr'],
      [['pools', 'set', 'lab', '--name', 'office'], 4, '"office"'],
      [['ips', 'set', '10.20.0.50', '--status', 'BROKEN'], 2, 'BROKEN'],
      [['ips', 'set', '10.20.0.50', '--mac', '00:11'], 2, '"00:11"'],
      [['ips', 'set', '10.20.0.50', '--hostname', 'not_dns'], 2, '"not_dns"'],
      [['ips', 'set', '10.20.0.51', '--description', 'x'], 3, '10.20.0.51 is not allocated'],
      [['ips', 'set', '10.20.0.50'], 2, 'nothing to change'],
    ]
    for (const [args, code, text] of cases) {
      const r = await run(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code)
      expect(r.stderr, args.join(' ')).toContain(text)
      expect(r.stdout).toBe('')
      const j = await run([...args, '--json'])
      expect(j.code).toBe(code)
      expect(j.json().error.message + (j.json().error.hint ?? '')).toContain(text)
    }
    expect(await snapshot(db)).toEqual(before)
  })

  it('two processes editing one address at once both succeed, and neither edit is lost', async () => {
    const [a, b] = await Promise.all([run(['ips', 'set', '10.20.0.50', '--description', 'from A']), run(['ips', 'set', '10.20.0.50', '--assigned-to', 'from-b'])])
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0])
    const [row] = await db.sql("SELECT description, assigned_to FROM ip WHERE addr = INET_ATON('10.20.0.50')")
    expect(row).toEqual({description: 'from A', assigned_to: 'from-b'})
  })

  it('ips set --json returns the new object, and ips history shows every change oldest first', async () => {
    const j = await run(['ips', 'set', '10.20.0.50', '--status', 'USED', '--mac', '0011.2233.4455', '--json'])
    expect(j.json()).toMatchObject({address: '10.20.0.50', status: 'USED', mac: '00:11:22:33:44:55', changes: {mac: {old: '00:1a:2b:3c:4d:5e', new: '00:11:22:33:44:55'}}})
    const h = await run(['ips', 'history', '10.20.0.50'])
    expect(h.code).toBe(0)
    const lines = h.stdout.split('\n')
    const at = (s: string) => lines.findIndex((l) => l.includes(s))
    expect(at('ips.allocate')).toBeGreaterThan(0)
    expect(at('ips.allocate')).toBeLessThan(at('status: ALLOCATED → USED'))
    expect(h.stdout).toContain('mac: 00:1a:2b:3c:4d:5e → 00:11:22:33:44:55')
    const hj = await run(['ips', 'history', '10.20.0.50', '--json'])
    expect(hj.json().entries.map((e: any) => e.action)).toEqual(['ips.allocate', 'ips.set', 'ips.set', 'ips.set'])
  })

  it('shows batch allocation and release in each address\'s history', async () => {
    expect((await run(['ips', 'allocate', '--pool', 'office', '--count', '3'])).code).toBe(0)
    expect((await run(['ips', 'release', '10.20.0.10', '10.20.0.12'])).code).toBe(0)
    const h = await run(['ips', 'history', '10.20.0.12', '--json'])
    expect(h.json().entries.map((e: any) => e.action)).toEqual(['ips.allocate', 'ips.release'])
    expect((await run(['ips', 'history', '10.20.0.11', '--json'])).json().entries.map((e: any) => e.action)).toEqual(['ips.allocate'])
  })

  it('networks history and pools history list old → new', async () => {
    const n = await run(['networks', 'history', '10.20.0.0/24'])
    expect(n.stdout).toContain('networks.add')
    expect(n.stdout).toContain('name: lan → office-lan')
    expect((await run(['pools', 'set', 'lab', '--name', 'lab-2', '--note', 'bench'])).code).toBe(0)
    const p = await run(['pools', 'history', 'lab-2', '--json'])
    expect(p.json().entries.map((e: any) => e.action)).toEqual(['pools.add', 'pools.set'])
    expect((await run(['pools', 'history', 'never-was'])).code).toBe(3)
  })

  it('search finds an address by hostname, MAC and CIDR, as a table or JSON', async () => {
    const t = await run(['search', 'alice-pc'])
    expect(t.code).toBe(0)
    expect(t.stdout).toContain('10.20.0.50')
    const j = await run(['search', '00:11:22', '--type', 'ips', '--json'])
    expect(j.json().ips.map((a: any) => a.address)).toEqual(['10.20.0.50'])
    const c = await run(['search', '10.20.0.0/25', '--json'])
    expect(c.json().networks.map((x: any) => x.cidr)).toEqual(['10.20.0.0/24'])
    const none = await run(['search', 'zzz-nothing'])
    expect(none.code).toBe(0)
    expect(none.stderr).toContain('Nothing matches')
    expect((await run(['search', 'x', '--type', 'hosts'])).code).toBe(2)
  })

  it('users set and users remove: password from stdin, demote, last admin refused with exit 4', async () => {
    expect((await run(['users', 'create', 'root@example.com', '--admin', '--no-password'])).code).toBe(0)
    expect((await run(['users', 'create', 'bob@example.com', '--no-password'])).code).toBe(0)
    const pw = await run(['users', 'set', 'bob@example.com', '--password-stdin'], {input: 'a long secret\n'})
    expect(pw.code, pw.stderr).toBe(0)
    expect(pw.stdout + pw.stderr).not.toContain('a long secret')
    const last = await run(['users', 'set', 'root@example.com', '--demote'])
    expect(last.code).toBe(4)
    expect(last.stderr).toContain('root@example.com is the last @admin')
    expect((await run(['users', 'remove', 'root@example.com', '--json'])).code).toBe(4)
    const rm = await run(['users', 'remove', 'bob@example.com'])
    expect(rm.code).toBe(0)
    expect(rm.stdout).toContain('Removed user bob@example.com')
    expect((await run(['users', 'remove', 'bob@example.com'])).code).toBe(3)
  })

  it('ips export writes hostname and MAC; ips import reads them, and an old five-column CSV still imports', async () => {
    const exp = await run(['ips', 'export'])
    expect(exp.stdout.split('\n')[0]).toBe('address,status,assigned_to,assign_type,description,hostname,mac')
    expect(exp.stdout).toContain('alice-pc.example.com,00:11:22:33:44:55')
    const target = await freshDatabase('cli_edit_imp')
    try {
      const t = cliFor(target.url, home)
      expect((await t(['networks', 'add', '10.20.0.0/24'])).code).toBe(0)
      const file = join(home, 'ips.csv')
      await writeFile(file, exp.stdout)
      const imp = await t(['ips', 'import', file])
      expect(imp.code, imp.stderr).toBe(0)
      expect((await t(['ips', 'show', '10.20.0.50', '--json'])).json()).toMatchObject({hostname: 'alice-pc.example.com', mac: '00:11:22:33:44:55'})
      expect((await t(['ips', 'history', '10.20.0.50', '--json'])).json().entries.map((e: any) => e.action)).toEqual(['ips.import'])
      const old = join(home, 'old.csv')
      await writeFile(old, 'address,status,assigned_to,assign_type,description\n10.20.0.200,USED,legacy,USER,old file\n10.20.0.201,USED,,,\n')
      expect((await t(['ips', 'import', old])).code).toBe(0)
      await writeFile(old, '10.20.0.202,USED,legacy,USER,no header\n')
      expect((await t(['ips', 'import', old])).code).toBe(0)
      await writeFile(old, '10.20.0.203,USED,,,,bad_host,\n')
      const bad = await t(['ips', 'import', old])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('line 1')
      expect(bad.stderr).toContain('bad_host')
    } finally {
      await target.drop()
    }
  })

  it('backup and restore keep hostname and MAC', async () => {
    const file = join(home, 'b.ipam-backup.gz')
    expect((await run(['backup', '-o', file])).code).toBe(0)
    await db.sql("UPDATE ip SET hostname = NULL, mac = NULL")
    const r = await run(['restore', file, '--yes'])
    expect(r.code, r.stderr).toBe(0)
    const [row] = await db.sql("SELECT hostname, mac FROM ip WHERE addr = INET_ATON('10.20.0.50')")
    expect(row).toEqual({hostname: 'alice-pc.example.com', mac: '00:11:22:33:44:55'})
  })

  it('networks export and import move networks, pools and ranges; a bad line stops all with its number', async () => {
    const csv = await run(['networks', 'export'])
    expect(csv.code).toBe(0)
    expect(csv.stdout.split('\n')[0]).toBe('type,cidr,name,gateway,vlan,locations,note,range')
    const jsonl = await run(['networks', 'export', '--format', 'jsonl', '-o', join(home, 'space.jsonl')])
    expect(jsonl.stderr).toContain('Exported 1 network, 2 pools, 1 range')
    const target = await freshDatabase('cli_edit_net')
    try {
      const t = cliFor(target.url, home)
      const file = join(home, 'space.csv')
      await writeFile(file, `${csv.stdout}network,10.30.0.0/24,,10.30.0.0,,,,\n`)
      const bad = await t(['networks', 'import', file])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toMatch(/line 6: the gateway 10\.30\.0\.0 cannot be used/)
      expect(Number((await target.sql('SELECT COUNT(*) AS n FROM ipnet'))[0].n)).toBe(0)
      const skip = await t(['networks', 'import', file, '--skip-invalid', '--json'])
      expect(skip.json()).toMatchObject({networks: 1, pools: 2, ranges: 1, skipped: 1, problems: [{line: 6}]})
      const again = await t(['networks', 'export', '--format', 'jsonl'])
      expect(again.stdout).toBe(await readFile(join(home, 'space.jsonl'), 'utf8'))
    } finally {
      await target.drop()
    }
  })
})

describe('the migration to hostname and MAC on a database made by the previous schema', () => {
  it('runs with `db migrate`, keeps the data, and the new commands then work', async () => {
    const db = await freshDatabase('cli_edit_mig', {migrated: false})
    try {
      const u = parseDbUrl(db.url)
      const conn = await mysql.createConnection({host: u.hosts[0].host, port: u.hosts[0].port, user: u.user, password: u.password, database: u.database})
      for (const sql of MIGRATIONS[0].statements) await conn.query(sql)
      await conn.query("INSERT INTO ipam_migrations (version, name) VALUES (1, ?)", [MIGRATIONS[0].name])
      await conn.query("INSERT INTO ipam_settings (name, value) VALUES ('instance-id', UUID())")
      await conn.query("INSERT INTO ipnet (family, network, broadcast, prefix, cidr, name) VALUES (4, INET_ATON('10.5.0.0'), INET_ATON('10.5.0.255'), 24, '10.5.0.0/24', 'old')")
      await conn.query("INSERT INTO ip (family, addr, status, assigned_to) VALUES (4, INET_ATON('10.5.0.9'), 'USED', 'legacy')")
      await conn.end()
      const run = cliFor(db.url)
      const stale = await run(['ips', 'show', '10.5.0.9'])
      expect(stale.code).toBe(5)
      expect(stale.stderr).toContain('ipam db migrate')
      const m = await run(['db', 'migrate', '--json'])
      expect(m.code, m.stderr).toBe(0)
      expect(m.json().applied).toEqual(MIGRATIONS.slice(1).map((x) => x.version))
      expect((await run(['ips', 'show', '10.5.0.9', '--json'])).json()).toMatchObject({status: 'USED', assignedTo: 'legacy', hostname: null, mac: null})
      const set = await run(['ips', 'set', '10.5.0.9', '--hostname', 'legacy.example.com', '--json'])
      expect(set.code, set.stderr).toBe(0)
      expect((await run(['search', 'legacy.ex', '--json'])).json().ips.map((a: any) => a.address)).toEqual(['10.5.0.9'])
      expect((await run(['db', 'migrate', '--json'])).json().applied).toEqual([])
    } finally {
      await db.drop()
    }
  })
})
