import {randomBytes} from 'node:crypto'
import {readFileSync, statSync, writeFileSync} from 'node:fs'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseDbUrl} from '../../src/db/url.js'
import {type CliResult, runCli, tempHome} from '../support/cli.js'
import {freshDatabase, serverRootUrl, type TestDatabase} from '../support/db.js'
import {serve} from '../support/serve.js'
import {TestSmtp} from '../support/smtp.js'

/**
 * Every secret the tool handles, with characters that need escaping in a URL,
 * so that both the raw and the percent-encoded forms can be looked for.
 */
const tag = randomBytes(4).toString('hex')
const DB_PASSWORD = `Db:Pw/${tag}@x%`
const SMTP_PASSWORD = `Smtp-Pw-${tag}!`
const SERVE_TOKEN = `serve-token-${tag}`
const ADMIN_PASSWORD = `admin-pw-${tag}`
const WRONG_PASSWORD = `wrong-pw-${tag}`
const SECRETS = [DB_PASSWORD, SMTP_PASSWORD, SERVE_TOKEN, ADMIN_PASSWORD, WRONG_PASSWORD]
const FORMS = SECRETS.flatMap((s) => [s, encodeURIComponent(s)])

function leaks(text: string): string[] {
  return FORMS.filter((f) => text.includes(f))
}

describe('secrets never leave', () => {
  let db: TestDatabase
  let master: TestDatabase
  const user = `sec_${tag}`
  let url = ''
  let masterUrl = ''
  let host = ''
  const smtp = new TestSmtp()
  const home = tempHome()
  const dir = mkdtempSync(join(tmpdir(), 'ipam-secrets-'))
  const seen: {what: string; r: CliResult}[] = []

  beforeAll(async () => {
    db = await freshDatabase('secrets')
    master = await freshDatabase('secrets_master')
    const root = parseDbUrl(serverRootUrl())
    host = `${root.hosts[0].host}:${root.hosts[0].port}`
    await db.sql(`CREATE USER '${user}'@'%' IDENTIFIED BY ?`, [DB_PASSWORD])
    await db.sql(`GRANT ALL ON \`${db.name}\`.* TO '${user}'@'%'`)
    await db.sql(`GRANT ALL ON \`${master.name}\`.* TO '${user}'@'%'`)
    url = `mysql://${user}:${encodeURIComponent(DB_PASSWORD)}@${host}/${db.name}`
    masterUrl = `mysql://${user}:${encodeURIComponent(DB_PASSWORD)}@${host}/${master.name}`
    await smtp.start()
  })
  afterAll(async () => {
    await smtp.stop()
    await db.sql(`DROP USER IF EXISTS '${user}'@'%'`)
    await master.drop()
    await db.drop()
  })

  const smtpUrl = () => `smtp://ipam:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${smtp.port}`
  async function sweep(what: string, args: string[], opts: {env?: Record<string, string>; input?: string; code?: number | number[]} = {}) {
    const r = await runCli(args, {home, input: opts.input, env: {IPAM_DATABASE_URL: url, IPAM_SMTP_URL: smtpUrl(), IPAM_SERVE_TOKEN: SERVE_TOKEN, ...opts.env}})
    seen.push({what, r})
    if (opts.code !== undefined) expect([opts.code].flat(), `${what}: exit ${r.code}\n${r.stderr}`).toContain(r.code)
    return r
  }

  it('in stdout and stderr of every command, on success and on failure, plain, --json and --verbose', async () => {
    // Success paths, in an order that gives each command something to work on.
    await sweep('db status', ['db', 'status'], {code: 0})
    await sweep('db migrate', ['db', 'migrate', '--verbose'], {code: 0})
    await sweep('users create', ['users', 'create', 'admin@example.com', '--admin', '--password-stdin'], {input: ADMIN_PASSWORD, code: 0})
    await sweep('users create 2', ['users', 'create', 'ops@example.com', '--password-stdin', '--json'], {input: ADMIN_PASSWORD, code: 0})
    await sweep('users promote', ['users', 'promote', 'ops@example.com'], {code: 0})
    await sweep('users list', ['users', 'list', '--json'], {code: 0})
    await sweep('networks add', ['networks', 'add', '192.0.2.0/24', '--name', 'lan', '--verbose'], {code: 0})
    await sweep('pools add', ['pools', 'add', 'p'], {code: 0})
    await sweep('ranges add', ['ranges', 'add', 'p', '192.0.2.10-192.0.2.50'], {code: 0})
    await sweep('ips allocate', ['ips', 'allocate', '--pool', 'p', '--count', '3', '--json'], {code: 0})
    await sweep('ips list', ['ips', 'list'], {code: 0})
    await sweep('ips show', ['ips', 'show', '192.0.2.10', '--verbose'], {code: 0})
    await sweep('ips release', ['ips', 'release', '192.0.2.10'], {code: 0})
    await sweep('ips export', ['ips', 'export', '-o', join(dir, 'export.csv')], {code: 0})
    await sweep('networks list', ['networks', 'list'], {code: 0})
    await sweep('networks show', ['networks', 'show', '192.0.2.0/24', '--json'], {code: 0})
    await sweep('networks map', ['networks', 'map', '192.0.2.0/24'], {code: 0})
    await sweep('pools list', ['pools', 'list'], {code: 0})
    await sweep('pools show', ['pools', 'show', 'p'], {code: 0})
    await sweep('ranges list', ['ranges', 'list', '--json'], {code: 0})
    await sweep('settings set', ['settings', 'set', 'support-email', 'noc@example.com'], {code: 0})
    await sweep('settings list', ['settings', 'list', '--json'], {code: 0})
    await sweep('requests submit', ['requests', 'submit', '--ip', '192.0.2.60', '--email', 'req@example.com', '--json', '--verbose'], {code: 0})
    await sweep('requests submit 2', ['requests', 'submit', '--ip', '192.0.2.61', '--email', 'req2@example.com'], {code: 0})
    await sweep('requests list', ['requests', 'list'], {code: 0})
    await sweep('requests show', ['requests', 'show', '1', '--json'], {code: 0})
    await sweep('requests approve', ['requests', 'approve', '1', '--verbose'], {code: 0})
    await sweep('requests reject', ['requests', 'reject', '2', '--reason', 'no'], {code: 0})
    await sweep('notify list', ['notify', 'list', '--json'], {code: 0})
    await sweep('notify retry', ['notify', 'retry'], {code: 0})
    await sweep('log', ['log', '--json'], {code: 0})
    await sweep('backup', ['backup', '-o', join(dir, 'b.ipam-backup.gz'), '--verbose'], {code: 0})
    await sweep('restore', ['restore', join(dir, 'b.ipam-backup.gz'), '--yes'], {code: 0})
    await sweep('config set db', ['config', 'set', 'db', url], {code: 0})
    await sweep('config set smtp-url', ['config', 'set', 'smtp-url', smtpUrl()], {code: 0})
    await sweep('config list', ['config', 'list'], {code: 0})
    await sweep('config list --json', ['config', 'list', '--json'], {code: 0})
    await sweep('config get db', ['config', 'get', 'db'], {code: 0})
    await sweep('config get smtp-url', ['config', 'get', 'smtp-url', '--json'], {code: 0})
    await sweep('via the profile', ['networks', 'list', '--verbose'], {env: {IPAM_DATABASE_URL: '', IPAM_SMTP_URL: ''}, code: 0})
    await sweep('password from IPAM_DATABASE_PASSWORD', ['db', 'status', '--verbose'], {env: {IPAM_DATABASE_URL: `mysql://${user}@${host}/${db.name}`, IPAM_DATABASE_PASSWORD: DB_PASSWORD}, code: 0})
    writeFileSync(join(dir, 'in.csv'), 'address,status\n192.0.2.40,ALLOCATED\n')
    await sweep('ips import', ['ips', 'import', join(dir, 'in.csv'), '--verbose'], {code: 0})
    await sweep('settings get', ['settings', 'get', 'support-email'], {code: 0})
    await sweep('ranges remove', ['ranges', 'remove', '1', '--yes'], {code: 0})
    await sweep('pools remove', ['pools', 'remove', 'p', '--yes'], {code: 0})
    await sweep('networks remove', ['networks', 'remove', '192.0.2.0/24', '--yes', '--json'], {code: 0})
    await sweep('networks add again', ['networks', 'add', '198.51.100.0/24'], {code: 0})
    await sweep('purge', ['purge', '--yes', '--backup', join(dir, 'purge.ipam-backup.gz'), '--verbose'], {code: 0})
    await sweep('networks add for the master', ['networks', 'add', '203.0.113.0/24'], {code: 0})
    await sweep('master admin', ['users', 'create', 'admin@example.com', '--admin', '--password-stdin'], {env: {IPAM_DATABASE_URL: masterUrl}, input: ADMIN_PASSWORD, code: 0})
    await sweep('integration check', ['integration', 'check', '--master', masterUrl, '--verbose'], {code: 0})
    await sweep('integration setup', ['integration', 'setup', '--master', masterUrl, '--email', 'admin@example.com', '--password-stdin', '--yes', '--backup', join(dir, 'join.ipam-backup.gz'), '--verbose'], {input: ADMIN_PASSWORD, code: 0})
    await sweep('integration status', ['integration', 'status'], {code: 0})
    await sweep('integration status --json', ['integration', 'status', '--json', '--verbose'], {code: 0})
    // While joined, the platform's own record of its master holds no secret either.
    const joinedLink = JSON.stringify(await db.sql('SELECT * FROM ipam_integration'))
    expect(joinedLink).toContain(master.name)
    expect(leaks(joinedLink)).toEqual([])
    await sweep('routed to the master', ['networks', 'list', '--verbose'], {code: 0})
    await sweep('routed, failing', ['networks', 'show', '10.99.0.0/16', '--json'], {code: 3})
    await sweep('integration remove', ['integration', 'remove', '--yes', '--verbose'], {code: 0})
    await sweep('config unset', ['config', 'unset', 'smtp-url'], {code: 0})

    // Failure paths.
    await sweep('wrong password', ['networks', 'list', '--verbose'], {env: {IPAM_DATABASE_URL: `mysql://${user}:${WRONG_PASSWORD}@${host}/${db.name}`}, code: 5})
    await sweep('wrong password --json', ['networks', 'list', '--json'], {env: {IPAM_DATABASE_URL: `mysql://${user}:${WRONG_PASSWORD}@${host}/${db.name}`}, code: 5})
    await sweep('wrong password in --db', ['networks', 'list', '--db', `mysql://${user}:${WRONG_PASSWORD}@${host}/${db.name}`], {code: 5})
    await sweep('no such database', ['networks', 'list', '--verbose'], {env: {IPAM_DATABASE_URL: `mysql://${user}:${encodeURIComponent(DB_PASSWORD)}@${host}/nope_${tag}`}, code: 5})
    await sweep('unreachable', ['networks', 'list', '--verbose', '--json'], {env: {IPAM_DATABASE_URL: `mysql://${user}:${encodeURIComponent(DB_PASSWORD)}@127.0.0.1:1/x`}, code: 5})
    await sweep('malformed URL', ['networks', 'list'], {env: {IPAM_DATABASE_URL: `mysql//${user}:${DB_PASSWORD}@@${host}`}, code: [2, 5]})
    await sweep('DEBUG=ipam*', ['networks', 'show', '203.0.113.0/24'], {env: {DEBUG: 'ipam*'}, code: 3})
    await sweep('bad address', ['ips', 'allocate', 'x.y', '--verbose'], {code: 2})
    await sweep('a network to conflict with', ['networks', 'add', '10.77.0.0/16'], {code: 0})
    await sweep('conflict', ['networks', 'add', '10.77.0.0/16', '--json'], {code: 4})
    await sweep('SMTP down', ['requests', 'submit', '--ip', '10.77.0.62', '--email', 'a@example.com', '--verbose'], {env: {IPAM_SMTP_URL: `smtp://ipam:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:1`}, code: 0})
    await sweep('SMTP down, retry', ['notify', 'retry', '--json', '--verbose'], {env: {IPAM_SMTP_URL: `smtp://ipam:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:1`}, code: [0, 5]})
    await sweep('bad smtp-url', ['config', 'set', 'smtp-url', `ftp://x:${SMTP_PASSWORD}@h`], {code: 2})
    await sweep('integration check, wrong master password', ['integration', 'check', '--master', `mysql://${user}:${WRONG_PASSWORD}@${host}/${master.name}`], {code: 5})
    await sweep('users create, no password', ['users', 'create', 'x@example.com', '--password-stdin'], {input: '', code: 2})

    await sweep('integration setup, wrong admin password', ['integration', 'setup', '--master', masterUrl, '--email', 'admin@example.com', '--password-stdin', '--yes'], {input: WRONG_PASSWORD, code: [5, 6, 2, 3, 4]})
    const found = seen.flatMap(({what, r}) => leaks(r.stdout + r.stderr).map((f) => `${what}: ${f}`))
    expect(found).toEqual([])
    expect(seen.length).toBeGreaterThanOrEqual(70)
  }, 300_000)

  it('in ipam serve\'s log and answers', async () => {
    const s = await serve(url, {IPAM_SERVE_TOKEN: SERVE_TOKEN, IPAM_SMTP_URL: smtpUrl()})
    try {
      const post = (auth: string | undefined, body: string) =>
        fetch(`${s.base}/v1/agent/ipam/request`, {method: 'POST', body, headers: {'content-type': 'application/x-www-form-urlencoded', ...(auth ? {authorization: auth} : {})}}).then(async (r) => `${r.status} ${await r.text()}`)
      const answers = [
        await post(`Bearer ${SERVE_TOKEN}`, 'ip=10.77.0.70&email=x@example.com'),
        await post(`Bearer ${SERVE_TOKEN}x`, 'ip=10.77.0.71'),
        await post(`Bearer ${WRONG_PASSWORD}`, 'ip=10.77.0.71'),
        await post(undefined, 'ip=10.77.0.71'),
        await post(`Basic ${Buffer.from(`a:${SERVE_TOKEN}`).toString('base64')}`, 'ip=10.77.0.71'),
      ]
      expect(answers[0]).toMatch(/^200 /)
      expect(answers.slice(1).every((a) => a.startsWith('401 '))).toBe(true)
      expect(leaks(answers.join('\n'))).toEqual([])
    } finally {
      s.child.kill('SIGTERM')
      await s.exited
    }
    expect(leaks(s.stderr())).toEqual([])
  })

  it('in the audit log, the backup header, the outbox and the profile file, which is 0600', async () => {
    const audit = await db.sql('SELECT * FROM ipam_audit')
    expect(audit.length).toBeGreaterThan(10)
    expect(leaks(JSON.stringify(audit))).toEqual([])
    const outbox = await db.sql('SELECT * FROM ipam_outbox')
    expect(outbox.length).toBeGreaterThan(0)
    expect(leaks(JSON.stringify(outbox))).toEqual([])
    const backup = gunzipSync(readFileSync(join(dir, 'b.ipam-backup.gz'))).toString('utf8')
    const header = backup.slice(0, backup.indexOf('\n'))
    expect(header).toContain('ipam')
    // Users' password hashes are data and are backed up; no secret in clear is.
    expect(leaks(backup)).toEqual([])
    const profile = join(home, '.config', 'ipam', 'config.json')
    expect(statSync(profile).mode & 0o777).toBe(0o600)
  })
})

/**
 * Masking by structure (#13.13): short passwords that also appear in host
 * names, database names and e-mail addresses. The password field of a URL is
 * masked; everything else is left as it is.
 */
describe('masking works on the structure of URLs, not on text', () => {
  const root = () => parseDbUrl(serverRootUrl())
  for (const password of ['1', 'x', 'ipam', 'root']) {
    it(`password "${password}": 127.0.0.1, database names and e-mail addresses survive; the URL's password field does not`, async () => {
      const t = randomBytes(3).toString('hex')
      // the password is part of the database's name (and "1" of the host's)
      const db = await freshDatabase(`${password}_${password}`)
      const master = await freshDatabase(`m_${password}`)
      const user = `${password}_u${t}`
      await db.sql(`CREATE USER '${user}'@'%' IDENTIFIED BY ?`, [password])
      await db.sql(`GRANT ALL ON \`${db.name}\`.* TO '${user}'@'%'`)
      await db.sql(`GRANT ALL ON \`${master.name}\`.* TO '${user}'@'%'`)
      const {host, port} = root().hosts[0]
      const url = `mysql://${user}:${password}@${host}:${port}/${db.name}`
      const masterUrl = `mysql://${user}:${password}@${host}:${port}/${master.name}`
      const shown = `mysql://${user}:****@${host}:${port}/${db.name}`
      const home = tempHome()
      const run = (args: string[], opts: {input?: string; env?: Record<string, string>} = {}) => runCli(args, {home, input: opts.input, env: {IPAM_DATABASE_URL: url, ...opts.env}})
      try {
        const outputs: CliResult[] = []
        const status = await run(['db', 'status', '--verbose'])
        outputs.push(status)
        expect(status.code, status.stderr).toBe(0)
        expect(status.stdout).toContain(shown)
        expect(status.stderr).toContain(`connected to ${host}:${port}`)

        const missing = await run(['networks', 'list'], {env: {IPAM_DATABASE_URL: `mysql://${user}:${password}@${host}:${port}/${db.name}_gone`}})
        outputs.push(missing)
        expect(missing.code).toBe(5)
        expect(missing.stderr).toContain(`mysql://${user}:****@${host}:${port}/${db.name}_gone`)

        const unreachable = await run(['networks', 'list', '--json'], {env: {IPAM_DATABASE_URL: `mysql://${user}:${password}@127.0.0.1:1/${db.name}`}})
        outputs.push(unreachable)
        expect(unreachable.code).toBe(5)
        expect(unreachable.json().error.message).toContain(`mysql://${user}:****@127.0.0.1:1/${db.name}`)

        expect((await run(['users', 'create', 'x@example.com', '--admin', '--password-stdin'], {input: 'admin-pw'})).code).toBe(0)
        const again = await run(['users', 'create', 'x@example.com', '--password-stdin'], {input: 'admin-pw'})
        outputs.push(again)
        expect(again.code).toBe(4)
        expect(again.stderr).toContain('x@example.com')

        // a password typed where it does not belong is masked where it stands as a word
        const echoed = await run(['networks', 'show', password])
        outputs.push(echoed)
        expect(echoed.code).not.toBe(0)
        expect(echoed.stderr).not.toMatch(new RegExp(`"${password}"|\\s${password}\\s`))

        // joined: the stored link keeps the URL's structure without the password
        expect((await runCli(['users', 'create', 'admin@example.com', '--admin', '--password-stdin'], {home, input: 'admin-pw', env: {IPAM_DATABASE_URL: masterUrl}})).code).toBe(0)
        const joined = await run(['integration', 'setup', '--master', masterUrl, '--email', 'admin@example.com', '--password-stdin', '--yes', '--verbose'], {input: 'admin-pw'})
        outputs.push(joined)
        expect(joined.code, joined.stderr).toBe(0)
        expect(joined.stdout).toContain(`mysql://${user}:****@${host}:${port}/${master.name}`)
        const link = JSON.parse((await db.sql('SELECT master_url FROM ipam_integration'))[0].master_url)
        expect(link).toEqual({user, hosts: [{host, port}], database: master.name, needsPassword: true})
        const routed = await run(['networks', 'list', '--verbose'])
        outputs.push(routed)
        expect(routed.code, routed.stderr).toBe(0)
        expect(routed.stderr).toContain(`platform of mysql://${user}:****@${host}:${port}/${master.name}`)

        for (const r of outputs) expect(r.stdout + r.stderr).not.toContain(`:${password}@`)
        expect(outputs.map((r) => r.stdout + r.stderr).join('\n')).not.toContain('****27')
      } finally {
        await db.sql(`DROP USER IF EXISTS '${user}'@'%'`)
        await master.drop()
        await db.drop()
      }
    }, 300_000)
  }
})
