import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startServer, stopServer, type ServerState} from '../../src/sandbox/server.js'
import {createAndMigrate} from '../../src/db/admin.js'
import {parseDbUrl} from '../../src/db/url.js'
import {cliFor, runCli, tempHome} from '../support/cli.js'
import {databaseHandle, freshDatabase, type TestDatabase} from '../support/db.js'

/** A second, separate MariaDB server for masters: platforms live on the suite's server. */
let masterServer: ServerState
let masterDir: string
let counter = 0

async function masterDatabase(): Promise<TestDatabase & {run: ReturnType<typeof cliFor>}> {
  const name = `m_${process.pid}_${counter++}`
  const url = `${masterServer.rootUrl}${name}`
  await createAndMigrate(parseDbUrl(url))
  const run = cliFor(url)
  expect((await run(['users', 'create', 'admin@example.com', '--admin', '--password-stdin'], {input: 'master-admin-pw'})).code).toBe(0)
  expect((await run(['users', 'create', 'plain@example.com', '--password-stdin'], {input: 'plain-user-pw'})).code).toBe(0)
  return {...databaseHandle(url), run}
}

async function platformDatabase() {
  const db = await freshDatabase('platform')
  const run = cliFor(db.url)
  for (const args of [
    ['networks', 'add', '192.0.2.0/24', '--name', 'office', '--location', 'paris'],
    ['networks', 'add', '2001:db8:7::/48'],
    ['pools', 'add', 'office'],
    ['ranges', 'add', 'office', '192.0.2.0/25'],
    ['ips', 'allocate', '--pool', 'office', '--count', '5', '--assigned-to', 'bob'],
    ['ips', 'allocate', '2001:db8:7::5', '--assigned-to', 'carol', '--hostname', 'carol-pc.example.com', '--mac', '00:1a:2b:3c:4d:5e'],
    ['requests', 'submit', '--ip', '192.0.2.200', '--email', 'req@example.com'],
    ['requests', 'submit', '--ip', '192.0.2.201'],
  ]) expect((await run(args)).code, args.join(' ')).toBe(0)
  await run(['requests', 'reject', String((await db.sql("SELECT id FROM ip_request WHERE addr = INET_ATON('192.0.2.201')"))[0].id)])
  return {...db, run}
}

const addressSpace = async (db: TestDatabase) => ({
  networks: (await db.sql('SELECT cidr, name, locations FROM ipnet ORDER BY cidr')).map((r: any) => [r.cidr, r.name, typeof r.locations === 'string' ? JSON.parse(r.locations) : r.locations]),
  pools: (await db.sql('SELECT name FROM ippool ORDER BY name')).map((r: any) => r.name),
  ranges: (await db.sql('SELECT r.start_addr, r.end_addr, p.name, n.cidr FROM ippool_range r JOIN ippool p ON p.id = r.pool_id JOIN ipnet n ON n.id = r.ipnet_id ORDER BY r.start_addr')).map((r: any) => [r.start_addr, r.end_addr, r.name, r.cidr]),
  addresses: (await db.sql('SELECT family, addr, status, assigned_to FROM ip ORDER BY family, addr')).map((r: any) => [r.family, r.addr, r.status, r.assigned_to]),
  pending: (await db.sql("SELECT addr, email, network_cidr FROM ip_request WHERE status = 'PENDING' ORDER BY addr")).map((r: any) => [r.addr, r.email, r.network_cidr]),
})

const EXPECTED_ON_MASTER = {
  networks: [['192.0.2.0/24', 'office', ['paris']], ['2001:db8:7::/48', null, []]],
  pools: ['office'],
  ranges: [['3221225984', '3221226111', 'office', '192.0.2.0/24']],
  addresses: [
    ...[1, 2, 3, 4, 5].map((i) => [4, String(3221225984 + i), 'ALLOCATED', null]),
    [6, '42540766411291055337641287355876769797', 'ALLOCATED', null],
  ],
  pending: [['3221226184', 'req@example.com', '192.0.2.0/24']],
}

const setup = (run: ReturnType<typeof cliFor>, masterUrl: string, extra: string[] = [], env: Record<string, string> = {}) =>
  run(['integration', 'setup', '--master', masterUrl, '--email', 'admin@example.com', '--password-stdin', '--yes', ...extra], {input: 'master-admin-pw', env})

beforeAll(async () => {
  masterDir = await mkdtemp(join(tmpdir(), 'ipam-master-'))
  masterServer = await startServer({dir: masterDir})
})
afterAll(async () => {
  await stopServer(masterDir)
})

describe('integration check', () => {
  it('is clean (exit 0) and says what would move', async () => {
    const master = await masterDatabase()
    const platform = await platformDatabase()
    const r = await platform.run(['integration', 'check', '--master', master.url, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({clean: true, conflicts: [], wouldMove: {networks: 2, pools: 1, ranges: 1, pendingRequests: 1, addresses: 6}})
    await Promise.all([master.drop(), platform.drop()])
  })

  it('reports each kind of conflict, naming both sides (exit 4)', async () => {
    const master = await masterDatabase()
    const platform = await platformDatabase()
    for (const args of [['networks', 'add', '192.0.2.0/24'], ['networks', 'add', '2001:db8:7:1::/64'], ['pools', 'add', 'office'], ['pools', 'add', 'other'], ['ranges', 'add', 'other', '192.0.2.100-192.0.2.110']]) {
      expect((await master.run(args)).code).toBe(0)
    }
    const r = await platform.run(['integration', 'check', '--master', master.url, '--json'])
    expect(r.code).toBe(4)
    expect(r.json().conflicts).toEqual(expect.arrayContaining([
      {kind: 'same network', platform: '192.0.2.0/24', master: '192.0.2.0/24'},
      {kind: 'nested network', platform: '2001:db8:7::/48', master: '2001:db8:7:1::/64'},
      {kind: 'overlapping range', platform: '192.0.2.0-192.0.2.127 (pool office)', master: '192.0.2.100-192.0.2.110 (pool other)'},
      {kind: 'same pool name', platform: 'office', master: 'office'},
    ]))
    const text = await platform.run(['integration', 'check', '--master', master.url])
    expect(text.code).toBe(4)
    expect(text.stdout).toMatch(/same pool name\s+│\s+office\s+│\s+office/)
    const before = await addressSpace(platform)
    const refused = await setup(platform.run, master.url)
    expect(refused.code).toBe(4)
    expect(await addressSpace(platform)).toEqual(before)
    await Promise.all([master.drop(), platform.drop()])
  })
})

describe('integration setup', () => {
  it('moves the address space to the master, leaves none behind, and routes commands there', async () => {
    const master = await masterDatabase()
    const platform = await platformDatabase()
    const r = await setup(platform.run, master.url, ['--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({alreadyJoined: false, moved: {networks: 2, pools: 1, ranges: 1, pendingRequests: 1, addresses: 6}, backup: expect.stringContaining('.ipam-backup.gz')})
    expect(await addressSpace(master)).toEqual(EXPECTED_ON_MASTER)
    expect(await addressSpace(platform)).toEqual({networks: [], pools: [], ranges: [], addresses: [], pending: []})
    // hostname and MAC travel with the address; the move shows in its history on the master
    expect(await master.sql('SELECT hostname, mac FROM ip WHERE family = 6')).toEqual([{hostname: 'carol-pc.example.com', mac: '00:1a:2b:3c:4d:5e'}])
    expect((await master.sql("SELECT COUNT(*) AS n FROM ipam_audit a JOIN ipam_audit_span s ON s.audit_id = a.id WHERE a.action = 'integration.join' AND s.family = 4"))[0].n).toBe('1')
    // the decided request stays on the platform as history
    expect((await platform.sql("SELECT status FROM ip_request")).map((x: any) => x.status)).toEqual(['REJECTED'])

    const list = await platform.run(['networks', 'list', '--json'])
    expect(list.code).toBe(0)
    expect(list.json().map((n: any) => n.cidr)).toEqual(['192.0.2.0/24', '2001:db8:7::/48'])
    expect(list.stderr).toContain("this database is a platform of")
    const alloc = await platform.run(['ips', 'allocate', '--pool', 'office', '--json'])
    expect(alloc.json().addresses[0].address).toBe('192.0.2.6')
    expect((await master.sql("SELECT COUNT(*) AS n FROM ip WHERE addr = INET_ATON('192.0.2.6')"))[0].n).toBe('1')

    const again = await setup(platform.run, master.url)
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('already a platform')

    const status = (await platform.run(['integration', 'status', '--json'])).json()
    expect(status).toMatchObject({role: 'platform', state: 'JOINED', reachable: true})
    const mstatus = (await master.run(['integration', 'status', '--json'])).json()
    expect(mstatus).toMatchObject({role: 'master', platforms: [{joinedBy: 'admin@example.com'}]})
    expect((await master.run(['log', '--action', 'integration', '--json'])).json().map((e: any) => e.action)).toContain('integration.join')
    expect((await platform.sql("SELECT action FROM ipam_audit WHERE action LIKE 'integration%'")).map((e: any) => e.action)).toContain('integration.setup')

    // a master with platforms can neither be purged nor join another master
    const other = await masterDatabase()
    const purge = await master.run(['purge', '--yes'])
    expect(purge.code).toBe(4)
    const chain = await master.run(['integration', 'setup', '--master', other.url, '--email', 'admin@example.com', '--password-stdin', '--yes'], {input: 'master-admin-pw'})
    expect(chain.code).toBe(4)
    expect(chain.stderr).toContain('master with 1 platform')
    // nor can another platform join a master that is itself a platform... (platform as master)
    const third = await platformDatabase()
    const viaPlatform = await setup(third.run, platform.url)
    expect(viaPlatform.code).toBe(4)
    expect(viaPlatform.stderr).toContain('itself a platform')

    // remove: confirmation, then unregistered, platform standalone and empty
    const refused = await platform.run(['integration', 'remove'])
    expect(refused.code).toBe(6)
    const removed = await platform.run(['integration', 'remove', '--yes'])
    expect(removed.code, removed.stderr).toBe(0)
    expect(removed.stderr).toContain('stays on')
    expect((await platform.run(['integration', 'status', '--json'])).json()).toEqual({role: 'standalone'})
    expect((await master.run(['integration', 'status', '--json'])).json()).toEqual({role: 'standalone'})
    expect((await platform.run(['networks', 'list', '--json'])).json()).toEqual([])
    expect((await master.run(['networks', 'list', '--json'])).json()).toHaveLength(2)
    await Promise.all([master.drop(), platform.drop(), other.drop(), third.drop()])
  })

  it('refuses: same database, wrong password, non-admin, CNAME host — changing nothing', async () => {
    const master = await masterDatabase()
    const platform = await platformDatabase()
    const before = await addressSpace(platform)
    const same = await platform.run(['integration', 'setup', '--master', platform.url, '--email', 'admin@example.com', '--password-stdin', '--yes'], {input: 'x'})
    expect(same.code).toBe(2)
    expect(same.stderr).toContain('same database')
    const wrong = await platform.run(['integration', 'setup', '--master', master.url, '--email', 'admin@example.com', '--password-stdin', '--yes'], {input: 'not-the-password'})
    expect(wrong.code).toBe(5)
    expect(wrong.stderr).toContain('wrong password')
    expect(wrong.stdout + wrong.stderr).not.toContain('not-the-password')
    const plain = await platform.run(['integration', 'setup', '--master', master.url, '--email', 'plain@example.com', '--password-stdin', '--yes'], {input: 'plain-user-pw'})
    expect(plain.code).toBe(5)
    expect(plain.stderr).toContain('@admin')
    const unknown = await platform.run(['integration', 'setup', '--master', master.url, '--email', 'ghost@example.com', '--password-stdin', '--yes'], {input: 'x'})
    expect(unknown.code).toBe(5)
    const aliasUrl = master.url.replace('127.0.0.1', 'ipam-master.example.test')
    const cname = await platform.run(['integration', 'setup', '--master', aliasUrl, '--email', 'admin@example.com', '--password-stdin', '--yes'], {input: 'master-admin-pw', env: {IPAM_DNS_CNAME_OVERRIDES: JSON.stringify({'ipam-master.example.test': 'db7.example.test'})}})
    expect(cname.code).toBe(2)
    expect(cname.stderr).toContain('CNAME for db7.example.test')
    const noTty = await platform.run(['integration', 'setup', '--master', master.url, '--email', 'admin@example.com', '--password-stdin'], {input: 'master-admin-pw'})
    expect(noTty.code).toBe(6)
    expect(await addressSpace(platform)).toEqual(before)
    expect(await platform.sql('SELECT * FROM ipam_integration')).toEqual([])
    expect(await master.sql('SELECT * FROM ipam_platforms')).toEqual([])
    expect(await addressSpace(master)).toEqual({networks: [], pools: [], ranges: [], addresses: [], pending: []})
    await Promise.all([master.drop(), platform.drop()])
  })

  for (const step of [1, 2, 3, 4]) {
    it(`survives a kill -9 after step ${step}: running setup again finishes with everything on the master exactly once`, async () => {
      const master = await masterDatabase()
      const platform = await platformDatabase()
      const crashed = await setup(platform.run, master.url, [], {IPAM_TEST_CRASH_AFTER_STEP: String(step)})
      expect(crashed.signal).toBe('SIGKILL')
      if (step < 4) {
        // half-joined: address-space commands refuse, naming the command that finishes it
        const blocked = await platform.run(['networks', 'list'])
        expect(blocked.code).toBe(5)
        expect(blocked.stderr).toContain('ipam integration setup')
      }
      const rerun = await setup(platform.run, master.url)
      expect(rerun.code, rerun.stderr).toBe(0)
      expect(await addressSpace(master)).toEqual(EXPECTED_ON_MASTER)
      expect(await addressSpace(platform)).toEqual({networks: [], pools: [], ranges: [], addresses: [], pending: []})
      expect((await platform.sql('SELECT state FROM ipam_integration'))[0].state).toBe('JOINED')
      expect(Number((await master.sql('SELECT COUNT(*) AS n FROM ipam_platforms'))[0].n)).toBe(1)
      await Promise.all([master.drop(), platform.drop()])
    })
  }

  it('reports an unreachable master in status', async () => {
    const master = await masterDatabase()
    const platform = await platformDatabase()
    expect((await setup(platform.run, master.url)).code).toBe(0)
    await platform.sql("UPDATE ipam_integration SET master_url = REPLACE(master_url, ?, '1')", [String(masterServer.port)])
    const s = (await platform.run(['integration', 'status', '--json'])).json()
    expect(s).toMatchObject({role: 'platform', reachable: false})
    const routed = await platform.run(['networks', 'list'])
    expect(routed.code).toBe(5)
    expect(routed.stderr).toContain('platform of')
    await Promise.all([master.drop(), platform.drop()])
  })
})

export {runCli, tempHome}
