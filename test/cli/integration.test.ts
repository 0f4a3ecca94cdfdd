import {randomBytes} from 'node:crypto'
import {mkdtemp, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startServer, stopServer, type ServerState} from '../../src/sandbox/server.js'
import {createAndMigrate} from '../../src/db/admin.js'
import {parseDbUrl} from '../../src/db/url.js'
import {createUser} from '../../src/admin/users.js'
import {allocate} from '../../src/space/addresses.js'
import {addNetwork} from '../../src/space/networks.js'
import {addPool} from '../../src/space/pools.js'
import {addRange} from '../../src/space/ranges.js'
import {rejectOne, submitRequest} from '../../src/requests/requests.js'
import {cliFor, runCli, tempHome} from '../support/cli.js'
import {databaseHandle, freshDatabase, type TestDatabase} from '../support/db.js'
import {hasPty, runPty} from '../support/pty.js'

/** A second, separate MariaDB server for masters: platforms live on the suite's server. */
let masterServer: ServerState
let masterDir: string
let counter = 0

async function masterDatabase(): Promise<TestDatabase & {run: ReturnType<typeof cliFor>}> {
  const name = `m_${process.pid}_${counter++}`
  const url = `${masterServer.rootUrl}${name}`
  await createAndMigrate(parseDbUrl(url))
  const db = databaseHandle(url)
  // fixtures through the domain (what `users create` calls): the CLI runs below are what is tested
  await createUser(db.pool, {email: 'admin@example.com', password: 'master-admin-pw', admin: true})
  await createUser(db.pool, {email: 'plain@example.com', password: 'plain-user-pw'})
  return {...db, run: cliFor(url)}
}

async function platformDatabase() {
  const db = await freshDatabase('platform')
  // the address space a platform has before it joins, made through the domain (what the commands call)
  await addNetwork(db.pool, {cidr: '192.0.2.0/24', name: 'office', locations: ['paris']})
  await addNetwork(db.pool, {cidr: '2001:db8:7::/48'})
  await addPool(db.pool, {name: 'office'})
  await addRange(db.pool, 'office', '192.0.2.0/25')
  await allocate(db.pool, {pool: 'office', count: 5, assignedTo: 'bob'})
  await allocate(db.pool, {address: '2001:db8:7::5', assignedTo: 'carol', hostname: 'carol-pc.example.com', mac: '00:1a:2b:3c:4d:5e'})
  await submitRequest(db.pool, {ip: '192.0.2.200', email: 'req@example.com'})
  const {request} = await submitRequest(db.pool, {ip: '192.0.2.201'})
  await rejectOne(db.pool, request.id, undefined)
  return {...db, run: cliFor(db.url)}
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

/** Generous: these tests run 10-30 CLI processes each, on a machine that may be busy. */
const LONG = 400_000

/** The master database with a MariaDB user that needs a password (the suite's masters otherwise use root without one). */
async function masterWithPassword(password: string) {
  const master = await masterDatabase()
  const user = `mu_${randomBytes(4).toString('hex')}`
  await master.sql(`CREATE USER '${user}'@'%' IDENTIFIED BY ?`, [password])
  await master.sql(`GRANT ALL ON \`${master.name}\`.* TO '${user}'@'%'`)
  const url = `mysql://${user}:${encodeURIComponent(password)}@127.0.0.1:${masterServer.port}/${master.name}`
  return {...master, url, withoutPassword: `mysql://${user}@127.0.0.1:${masterServer.port}/${master.name}`, dropUser: () => master.sql(`DROP USER IF EXISTS '${user}'@'%'`)}
}

describe('integration check runs the checks setup runs (#13.9)', () => {
  it('refuses the same database and a CNAME master host with exit 2, and a master that is itself a platform with exit 4', async () => {
    const master = await masterDatabase()
    const platform = await platformDatabase()
    const same = await platform.run(['integration', 'check', '--master', platform.url])
    expect(same.code, same.stderr).toBe(2)
    expect(same.stderr).toContain('same database')
    const sameJson = await platform.run(['integration', 'check', '--master', platform.url, '--json'])
    expect(sameJson.code).toBe(2)
    expect(sameJson.json().error.message).toContain('same database')
    const aliasUrl = master.url.replace('127.0.0.1', 'ipam-master.example.test')
    const cname = await platform.run(['integration', 'check', '--master', aliasUrl], {env: {IPAM_DNS_CNAME_OVERRIDES: JSON.stringify({'ipam-master.example.test': 'db7.example.test'})}})
    expect(cname.code, cname.stderr).toBe(2)
    expect(cname.stderr).toContain('CNAME for db7.example.test')
    // a master that is itself a platform
    const other = await masterDatabase()
    expect((await setup(master.run, other.url)).code).toBe(0)
    const chained = await platform.run(['integration', 'check', '--master', master.url])
    expect(chained.code).toBe(4)
    expect(chained.stderr).toContain('itself a platform')
    await Promise.all([master.drop(), platform.drop(), other.drop()])
  }, LONG)
})

describe("a joined platform's own history (#13.8)", () => {
  it('--local on log, requests list and requests show reads the platform, not the master', async () => {
    const master = await masterDatabase()
    const platform = await platformDatabase()
    const rejectedId = String((await platform.sql("SELECT id FROM ip_request WHERE status = 'REJECTED'"))[0].id)
    expect((await setup(platform.run, master.url)).code).toBe(0)

    const routed = await platform.run(['requests', 'list', '--status', 'ALL', '--json'])
    expect(routed.code).toBe(0)
    expect(routed.json().map((r: any) => [r.ip, r.status])).toEqual([['192.0.2.200', 'PENDING']])
    const local = await platform.run(['requests', 'list', '--local', '--status', 'ALL', '--json'])
    expect(local.code, local.stderr).toBe(0)
    expect(local.json().map((r: any) => [r.ip, r.status])).toEqual([['192.0.2.201', 'REJECTED']])
    expect(local.stderr).not.toContain('platform of')

    const show = await platform.run(['requests', 'show', rejectedId, '--local', '--json'])
    expect(show.code, show.stderr).toBe(0)
    expect(show.json()).toMatchObject({ip: '192.0.2.201', status: 'REJECTED'})

    const ownLog = await platform.run(['log', '--local', '--limit', '1000', '--json'])
    expect(ownLog.code).toBe(0)
    const actions = ownLog.json().map((e: any) => e.action)
    expect(actions).toEqual(expect.arrayContaining(['integration.setup', 'networks.add', 'requests.reject']))
    const masterLog = (await platform.run(['log', '--limit', '1000', '--json'])).json().map((e: any) => e.action)
    expect(masterLog).toContain('integration.join')
    expect(masterLog).not.toContain('integration.setup')
    await Promise.all([master.drop(), platform.drop()])
  }, LONG)
})

describe('a platform whose master is gone for good (#13.10)', () => {
  it('remove --force detaches it after a clear warning; without --force it exits 5 naming --force; without a terminal or --yes, exit 6', async () => {
    const master = await masterDatabase()
    const platform = await platformDatabase()
    expect((await setup(platform.run, master.url)).code).toBe(0)
    await master.drop()

    const plain = await platform.run(['integration', 'remove', '--yes'])
    expect(plain.code, plain.stderr).toBe(5)
    expect(plain.stderr).toContain('integration remove --force')
    const noTty = await platform.run(['integration', 'remove', '--force'])
    expect(noTty.code, noTty.stderr).toBe(6)
    expect(noTty.stderr).toContain('--yes')
    expect((await platform.sql('SELECT state FROM ipam_integration'))[0].state).toBe('JOINED')

    const forced = await platform.run(['integration', 'remove', '--force', '--yes'])
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stderr).toContain('cannot be used')
    expect(forced.stderr).toContain('nothing here can bring it back')
    expect(forced.stderr).toContain('backup')
    expect(forced.stdout).toContain('Detached')
    expect((await platform.run(['integration', 'status', '--json'])).json()).toEqual({role: 'standalone'})
    expect((await platform.run(['networks', 'list', '--json'])).json()).toEqual([])
    expect((await platform.sql("SELECT action FROM ipam_audit WHERE action LIKE 'integration.remove%'")).map((r: any) => r.action)).toEqual(['integration.remove.forced'])
    await platform.drop()
  }, LONG)

  it.skipIf(!hasPty)('on a terminal, --force asks to type the database name', async () => {
    const master = await masterDatabase()
    const platform = await platformDatabase()
    expect((await setup(platform.run, master.url)).code).toBe(0)
    await master.drop()
    const wrong = runPty(['integration', 'remove', '--force'], {env: {IPAM_DATABASE_URL: platform.url}})
    await wrong.expect('Type the database name')
    wrong.write('something-else\r')
    expect((await wrong.exited()).code).toBe(6)
    expect((await platform.sql('SELECT state FROM ipam_integration'))[0].state).toBe('JOINED')
    const right = runPty(['integration', 'remove', '--force'], {env: {IPAM_DATABASE_URL: platform.url}})
    await right.expect('nothing here can bring it back')
    await right.expect('Type the database name')
    right.write(`${platform.name}\r`)
    expect((await right.exited()).code).toBe(0)
    expect(await platform.sql('SELECT * FROM ipam_integration')).toEqual([])
    await platform.drop()
  }, LONG)
})

describe("settings after joining (#13.11)", () => {
  it("are read from the master; the platform's support-email is copied when the master has none, and said so", async () => {
    const master = await masterDatabase()
    const platform = await platformDatabase()
    expect((await platform.run(['settings', 'set', 'support-email', 'noc@platform.example'])).code).toBe(0)
    expect((await platform.run(['settings', 'set', 'utilization-warn', '70'])).code).toBe(0)
    expect((await master.run(['settings', 'set', 'utilization-warn', '60'])).code).toBe(0)
    const r = await setup(platform.run, master.url)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('Setting support-email copied to the master (it had none): noc@platform.example')
    expect(r.stderr).toContain("Setting utilization-warn: the master's 60 applies from now on")
    expect((await master.sql("SELECT value FROM ipam_settings WHERE name = 'support-email'"))[0].value).toBe('noc@platform.example')
    const got = await platform.run(['settings', 'get', 'support-email'])
    expect(got.stdout.trim()).toBe('noc@platform.example')
    expect((await platform.run(['settings', 'get', 'utilization-warn'])).stdout.trim()).toBe('60')
    // a new request on the platform is announced to that address (queued on the master's outbox)
    expect((await platform.run(['requests', 'submit', '--ip', '192.0.2.210'])).code).toBe(0)
    expect((await master.sql("SELECT recipient FROM ipam_outbox WHERE kind = 'request.submitted'")).map((x: any) => x.recipient)).toContain('noc@platform.example')
    await Promise.all([master.drop(), platform.drop()])
  }, LONG)
})

describe("the master's password is kept in no database (#13.12)", () => {
  it('setup stores the link without it and keeps it in the profile; another operator gets exit 5 saying how to give it', async () => {
    const password = `Mpw-${randomBytes(4).toString('hex')}@1`
    const master = await masterWithPassword(password)
    const platform = await platformDatabase()
    const r = await setup(platform.run, master.url)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('master-password of profile "default"')
    const stored = JSON.stringify(await platform.sql('SELECT * FROM ipam_integration'))
    for (const form of [password, encodeURIComponent(password)]) expect(stored).not.toContain(form)
    expect(JSON.parse((await platform.sql('SELECT master_url FROM ipam_integration'))[0].master_url)).not.toHaveProperty('password')
    // the operator who joined finds it in their profile
    expect((await platform.run(['networks', 'list', '--json'])).json().map((n: any) => n.cidr)).toEqual(['192.0.2.0/24', '2001:db8:7::/48'])

    const other = cliFor(platform.url)
    const missing = await other(['networks', 'list'])
    expect(missing.code).toBe(5)
    expect(missing.stderr).toContain("the master's password is not given here")
    expect(missing.stderr).toContain('ipam config set master-password')
    expect(missing.stderr).toContain('IPAM_MASTER_PASSWORD')
    const wrong = await other(['networks', 'list'], {env: {IPAM_MASTER_PASSWORD: 'not-it'}})
    expect(wrong.code).toBe(5)
    expect(wrong.stderr).toContain('ipam config set master-password')
    expect((await other(['networks', 'list', '--json'], {env: {IPAM_MASTER_PASSWORD: password}})).code).toBe(0)
    const set = await other(['config', 'set', 'master-password', '--value-stdin'], {input: password})
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toContain('master-password = ****')
    expect((await other(['config', 'get', 'master-password'])).stdout.trim()).toBe('****')
    expect((await other(['networks', 'list', '--json'])).code).toBe(0)
    expect((await other(['integration', 'status', '--json'])).json()).toMatchObject({role: 'platform', reachable: true})
    for (const x of [r, missing, wrong, set]) expect(x.stdout + x.stderr).not.toContain(password)
    await platform.drop()
    await master.dropUser()
    await master.drop()
  }, LONG)

  it('db migrate moves a password an older ipam stored out of the database and says where it went', async () => {
    const password = `Old-${randomBytes(4).toString('hex')}`
    const master = await masterWithPassword(password)
    const platform = await platformDatabase()
    expect((await setup(platform.run, master.url, [], {IPAM_MASTER_PASSWORD: ''})).code).toBe(0)
    // what an older ipam left: the password inside the stored URL, schema version 1
    await platform.sql("UPDATE ipam_integration SET master_url = JSON_REMOVE(JSON_SET(master_url, '$.password', ?), '$.needsPassword')", [password])
    await platform.sql('DELETE FROM ipam_migrations WHERE version > 1')
    const home = tempHome()
    const operator = cliFor(platform.url, home)
    expect((await operator(['networks', 'list'])).stderr).toContain('ipam db migrate')
    const migrated = await operator(['db', 'migrate'])
    expect(migrated.code, migrated.stderr).toBe(0)
    expect(migrated.stderr).toMatch(/The master's password was stored in this database; it now lives in the master-password of profile "default" in \S+config\.json/)
    expect(migrated.stdout + migrated.stderr).not.toContain(password)
    expect(JSON.stringify(await platform.sql('SELECT * FROM ipam_integration'))).not.toContain(password)
    const profile = JSON.parse(await readFile(join(home, '.config', 'ipam', 'config.json'), 'utf8'))
    expect(profile.profiles.default['master-password']).toBe(password)
    expect((await operator(['networks', 'list', '--json'])).code).toBe(0)
    // running it again moves nothing and says nothing about it
    const again = await operator(['db', 'migrate'])
    expect(again.code).toBe(0)
    expect(again.stderr).not.toContain('password')
    await platform.drop()
    await master.dropUser()
    await master.drop()
  }, LONG)
})

export {runCli, tempHome}
