import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliFor, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {hasPty, runPty} from '../support/pty.js'
import {TestSmtp} from '../support/smtp.js'
import {until} from '../support/wait.js'

describe('IP requests', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const smtp = new TestSmtp()
  const home = tempHome()
  let mailEnv: Record<string, string>
  beforeAll(async () => {
    db = await freshDatabase('requests')
    await smtp.start()
    mailEnv = {IPAM_SMTP_URL: smtp.url, IPAM_MAIL_FROM: 'ipam@example.com'}
    run = cliFor(db.url, home)
    for (const args of [
      ['networks', 'add', '192.0.2.0/24', '--name', 'office'],
      ['networks', 'add', '192.0.2.128/25', '--name', 'office-upper'],
      ['networks', 'add', '2001:db8:5::/64'],
      ['settings', 'set', 'support-email', 'noc@example.com'],
    ]) expect((await run(args)).code).toBe(0)
  })
  afterAll(async () => {
    await smtp.stop()
    await db.drop()
  })

  /** A database of its own with the same networks, for a test that must not see what the others did. */
  async function own(label: string) {
    const ownDb = await freshDatabase(label)
    const ownRun = cliFor(ownDb.url, home)
    for (const args of [['networks', 'add', '192.0.2.0/24', '--name', 'office'], ['networks', 'add', '192.0.2.128/25', '--name', 'office-upper'], ['networks', 'add', '2001:db8:5::/64']]) {
      expect((await ownRun(args)).code, args.join(' ')).toBe(0)
    }
    return {db: ownDb, run: ownRun}
  }

  it('files a PENDING request in the most specific network, by anonymous, and mails support', async () => {
    const r = await run(['requests', 'submit', '--ip', '192.0.2.200', '--email', 'Alice@Example.com', '--region', 'eu-west', '--description', 'build agent', '--json'], {env: mailEnv})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({ip: '192.0.2.200', network: '192.0.2.128/25', requestedBy: 'anonymous', assignType: 'USER', status: 'PENDING', email: 'alice@example.com', region: 'eu-west'})
    await until(() => smtp.received.length === 1)
    expect(smtp.received[0]).toMatchObject({to: ['noc@example.com'], from: 'ipam@example.com'})
    expect(smtp.received[0].subject).toContain('192.0.2.200')
    expect(smtp.received[0].text).toContain('192.0.2.128/25')
    expect(smtp.received[0].text).toContain('alice@example.com')
  })

  it('refuses bad fields with exit 2 naming the field, and an address in no network with exit 3', async () => {
    const before = await db.sql('SELECT COUNT(*) AS n FROM ip_request')
    for (const [args, text] of [
      [['--ip', '192.0.2.999'], 'ip'],
      [['--ip', '192.0.2.10', '--email', 'not-an-email'], 'email'],
      [['--ip', '192.0.2.10', '--ip-range', '192.0.2.20-192.0.2.10'], 'ip-range'],
      [['--ip', '192.0.2.10', '--description', 'x'.repeat(2001)], 'description'],
      [['--ip', '192.0.2.10', '--region', 'eu\u0007west'], 'region'],
    ] as const) {
      const r = await run(['requests', 'submit', ...args])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toContain(text)
    }
    const none = await run(['requests', 'submit', '--ip', '203.0.113.5', '--json'])
    expect(none.code).toBe(3)
    expect(none.json().error.message).toBe('no network contains 203.0.113.5')
    expect(await db.sql('SELECT COUNT(*) AS n FROM ip_request')).toEqual(before)
  })

  it('lets only one of 10 simultaneous submissions of an address win', async () => {
    const results = await Promise.all(Array.from({length: 10}, () => run(['requests', 'submit', '--ip', '192.0.2.20', '--json'])))
    expect(results.filter((r) => r.code === 0)).toHaveLength(1)
    const losers = results.filter((r) => r.code !== 0)
    expect(losers.map((r) => r.code)).toEqual(Array(9).fill(4))
    for (const l of losers) expect(l.json().error.code).toBe('duplicate_request')
    const rows = await db.sql("SELECT COUNT(*) AS n FROM ip_request WHERE status = 'PENDING' AND addr = INET_ATON('192.0.2.20')")
    expect(Number(rows[0].n)).toBe(1)
  })

  it('lists requests with the SPEC columns, filters and sort order', async () => {
    const {db, run} = await own('requests_list')
    try {
      for (const args of [
        ['--ip', '192.0.2.200', '--email', 'alice@example.com', '--region', 'eu-west', '--description', 'build agent'],
        ['--ip', '192.0.2.20'],
        ['--ip', '2001:db8:5::10', '--region', 'us-east'],
      ]) expect((await run(['requests', 'submit', ...args])).code, args.join(' ')).toBe(0)
      const text = await run(['requests', 'list', '--no-color', '--output', 'table'])
      expect(text.stdout).toMatch(/ID\s+│\s+IP\s+│\s+Network\s+│\s+Assign Type\s+│\s+Assigned To\s+│\s+Description\s+│\s+Status\s+│\s+Requested At/)
      expect(text.stdout).toMatch(/192\.0\.2\.200\s+│\s+192\.0\.2\.128\/25\s+│\s+USER\s+│\s+alice@example\.com\s+│\s+build agent\s+│\s+PENDING/)
      const oldest = (await run(['requests', 'list', '--json'])).json().map((r: any) => r.ip)
      expect(oldest).toEqual(['192.0.2.200', '192.0.2.20', '2001:db8:5::10'])
      const newest = (await run(['requests', 'list', '--sort', 'newest', '--json'])).json().map((r: any) => r.ip)
      expect(newest).toEqual(['2001:db8:5::10', '192.0.2.20', '192.0.2.200'])
      expect((await run(['requests', 'list', '--region', 'us-east', '--json'])).json()).toHaveLength(1)
      // A network's requests include those filed in the networks nested in it.
      expect((await run(['requests', 'list', '--network', '192.0.2.0/24', '--json'])).json().map((r: any) => r.ip)).toEqual(['192.0.2.200', '192.0.2.20'])
      expect((await run(['requests', 'list', '--network', '192.0.2.128/25', '--json'])).json().map((r: any) => r.ip)).toEqual(['192.0.2.200'])
      const bad = await run(['requests', 'list', '--status', 'MAYBE'])
      expect(bad.code).toBe(2)
    } finally {
      await db.drop()
    }
  })

  it('approves: the address becomes USED, assigned to the requester, and the requester is mailed', async () => {
    const noticed = smtp.received.length
    const submitted = await run(['requests', 'submit', '--ip', '192.0.2.201', '--email', 'alice@example.com', '--json'], {env: mailEnv})
    expect(submitted.code, submitted.stderr).toBe(0)
    const req = {id: submitted.json().id}
    await until(() => smtp.received.length === noticed + 1) // the notice to support
    const sent = smtp.received.length
    const r = await run(['requests', 'approve', String(req.id), '--by', 'carol', '--json'], {env: mailEnv})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json().results).toEqual([expect.objectContaining({id: Number(req.id), ok: true, status: 'APPROVED'})])
    const ip = await run(['ips', 'show', '192.0.2.201', '--json'])
    expect(ip.json()).toMatchObject({status: 'USED', assignedTo: 'alice@example.com', assignType: 'USER'})
    await until(() => smtp.received.length === sent + 1)
    const mail = smtp.received.at(-1)!
    expect(mail.to).toEqual(['alice@example.com'])
    expect(mail.subject).toContain('approved')
    expect(mail.text).toContain('carol')
    const show = await run(['requests', 'show', String(req.id), '--json'])
    expect(show.json()).toMatchObject({status: 'APPROVED', decidedBy: 'carol', addressFree: false, history: [{action: 'requests.submit'}, {action: 'requests.approve', by: expect.any(String)}]})
  })

  it('refuses to decide a decided request, and keeps going over several ids with a result each', async () => {
    const approved = {id: (await run(['requests', 'submit', '--ip', '192.0.2.21', '--json'])).json().id}
    expect((await run(['requests', 'approve', String(approved.id)])).code).toBe(0)
    const pending = {id: (await run(['requests', 'submit', '--ip', '192.0.2.22', '--json'])).json().id}
    const r = await run(['requests', 'reject', String(approved.id), String(pending.id), '999999', '--reason', 'use DHCP', '--json'])
    expect(r.code).toBe(4)
    const results = r.json().results
    expect(results.map((x: any) => [x.id, x.ok, x.code ?? null])).toEqual([[Number(approved.id), false, 'already_decided'], [Number(pending.id), true, null], [999999, false, 'not_found']])
    const [row] = await db.sql('SELECT status, reason FROM ip_request WHERE id = ?', [pending.id])
    expect(row).toEqual({status: 'REJECTED', reason: 'use DHCP'})
  })

  it('refuses to approve an address someone else holds, leaving the request PENDING', async () => {
    await run(['ips', 'allocate', '192.0.2.30', '--assigned-to', 'bob'])
    const sub = await run(['requests', 'submit', '--ip', '192.0.2.30', '--email', 'dave@example.com', '--json'])
    const id = String(sub.json().id)
    const r = await run(['requests', 'approve', id])
    expect(r.code).toBe(4)
    expect(r.stderr).toContain('already ALLOCATED to bob')
    expect((await db.sql('SELECT status FROM ip_request WHERE id = ?', [id]))[0].status).toBe('PENDING')
    expect((await db.sql("SELECT assigned_to FROM ip WHERE addr = INET_ATON('192.0.2.30')"))[0].assigned_to).toBe('bob')
  })

  it('approves many ids in one command, each decided on its own with its own result', async () => {
    const ids: string[] = []
    for (const n of [80, 81, 82, 83]) ids.push(String((await run(['requests', 'submit', '--ip', `192.0.2.${n}`, '--email', `u${n}@example.com`, '--json'])).json().id))
    // allocating an address with a PENDING request is refused (exit 4) without --force; taken by hand-written SQL instead
    expect((await run(['ips', 'allocate', '192.0.2.82', '--assigned-to', 'someone-else'])).code).toBe(4)
    await db.sql("INSERT INTO ip (family, addr, status, assigned_to) VALUES (4, INET_ATON('192.0.2.82'), 'ALLOCATED', 'someone-else')")
    const decided = {id: (await run(['requests', 'submit', '--ip', '192.0.2.84', '--json'])).json().id}
    expect((await run(['requests', 'reject', String(decided.id)])).code).toBe(0)
    const r = await run(['requests', 'approve', ...ids, String(decided.id), 'x1', '--json'])
    expect(r.code).toBe(4)
    expect(r.json().results.map((d: any) => [d.ok, d.code ?? null])).toEqual([[true, null], [true, null], [false, 'address_taken'], [true, null], [false, 'already_decided'], [false, 'usage']])
    const rows = await db.sql('SELECT id, status FROM ip_request WHERE id IN (?) ORDER BY id', [ids])
    expect(rows.map((x: any) => x.status)).toEqual(['APPROVED', 'APPROVED', 'PENDING', 'APPROVED'])
    const ips = await db.sql("SELECT INET_NTOA(addr) AS a, status, assigned_to FROM ip WHERE addr BETWEEN INET_ATON('192.0.2.80') AND INET_ATON('192.0.2.83') ORDER BY addr")
    expect(ips.map((x: any) => [x.a, x.status, x.assigned_to])).toEqual([
      ['192.0.2.80', 'USED', 'u80@example.com'], ['192.0.2.81', 'USED', 'u81@example.com'], ['192.0.2.82', 'ALLOCATED', 'someone-else'], ['192.0.2.83', 'USED', 'u83@example.com'],
    ])
  })

  it('decides 1,500 ids named in one command, a flag in the middle of them, with a result per id in the order given', async () => {
    expect((await run(['networks', 'add', '10.99.0.0/16'])).code).toBe(0)
    const [net] = await db.sql("SELECT id FROM ipnet WHERE cidr = '10.99.0.0/16'")
    // no e-mail: nobody to tell, so nothing joins the outbox the tests below send from
    await db.sql('INSERT INTO ip_request (family, addr, ipnet_id, network_cidr, email) VALUES ?', [Array.from({length: 1500}, (_, i) => [4, 0x0a630000 + 1 + i, net.id, '10.99.0.0/16', null])])
    // highest id first: the results must follow the command line, not the ids' order
    const ids = (await db.sql("SELECT id FROM ip_request WHERE network_cidr = '10.99.0.0/16' ORDER BY id DESC")).map((r: any) => String(r.id))
    const r = await run(['requests', 'reject', ...ids.slice(0, 700), '--reason', 'no room left', ...ids.slice(700), '--json'])
    expect(r.code, r.stderr).toBe(0)
    const results = r.json().results
    expect(results.map((d: any) => String(d.id))).toEqual(ids)
    expect(results.every((d: any) => d.ok && d.status === 'REJECTED')).toBe(true)
    const reasons = await db.sql("SELECT reason, COUNT(*) AS n FROM ip_request WHERE network_cidr = '10.99.0.0/16' GROUP BY reason")
    expect(reasons.map((x: any) => [x.reason, Number(x.n)])).toEqual([['no room left', 1500]])
  })

  it('lets exactly one of two simultaneous approvals (and a reject) of one request win', async () => {
    const sub = await run(['requests', 'submit', '--ip', '192.0.2.40', '--json'])
    const id = String(sub.json().id)
    const results = await Promise.all([run(['requests', 'approve', id]), run(['requests', 'approve', id]), run(['requests', 'reject', id])])
    expect(results.filter((r) => r.code === 0)).toHaveLength(1)
    expect(results.filter((r) => r.code === 4)).toHaveLength(2)
    const [row] = await db.sql('SELECT status FROM ip_request WHERE id = ?', [id])
    const ips = await db.sql("SELECT assigned_to FROM ip WHERE addr = INET_ATON('192.0.2.40')")
    expect(ips).toHaveLength(row.status === 'APPROVED' ? 1 : 0)
    if (row.status === 'APPROVED') expect(ips[0].assigned_to).toBe('anonymous')
  })

  it('keeps decisions and messages when SMTP is down, and sends each once when it is back', async () => {
    const sub = await run(['requests', 'submit', '--ip', '192.0.2.50', '--email', 'erin@example.com', '--json'])
    const id = String(sub.json().id)
    const port = smtp.port
    await smtp.stop()
    const r = await run(['requests', 'reject', id, '--reason', 'no more room'], {env: mailEnv})
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/could not be sent/)
    expect((await db.sql('SELECT status FROM ip_request WHERE id = ?', [id]))[0].status).toBe('REJECTED')
    const failed = (await run(['notify', 'list', '--status', 'FAILED', '--json'])).json()
    expect(failed.map((m: any) => m.recipient)).toContain('erin@example.com')

    const sent = smtp.received.length
    await smtp.start(port)
    const [a, b] = await Promise.all([run(['notify', 'retry', '--json'], {env: mailEnv}), run(['notify', 'retry', '--json'], {env: mailEnv})])
    expect([a.code, b.code]).toEqual([0, 0])
    const delivered = smtp.received.slice(sent)
    // every waiting message exactly once, the rejection with its reason among them
    expect(new Set(delivered.map((m) => m.subject)).size).toBe(delivered.length)
    expect(delivered.length).toBe(a.json().sent + b.json().sent)
    const rejection = delivered.find((m) => m.to[0] === 'erin@example.com' && m.subject.includes('rejected'))
    expect(rejection?.text).toContain('no more room')
    expect((await run(['notify', 'list', '--status', 'FAILED', '--json'])).json()).toEqual([])
  })

  it('says once that messages wait when no SMTP server is configured', async () => {
    const r = await run(['requests', 'submit', '--ip', '192.0.2.60'])
    expect(r.code).toBe(0)
    expect(r.stderr.match(/waits? in the outbox/g)).toHaveLength(1)
    const retry = await run(['notify', 'retry'])
    expect(retry.code).toBe(2)
    expect(retry.stderr).toContain('no SMTP server is configured')
  })

  it('triage needs a terminal: without one it exits 6 naming approve and reject', async () => {
    const r = await run(['requests', 'triage'])
    expect(r.code).toBe(6)
    expect(r.stderr).toContain('ipam requests approve')
    expect(r.stderr).toContain('ipam requests reject')
  })

  it.skipIf(!hasPty)('triages through a terminal by keys: approve, reject with a reason, then quit midway, with a summary', async () => {
    const {db, run} = await own('requests_triage')
    try {
      // three PENDING requests, the second for an address bob holds
      for (const ip of ['192.0.2.20', '192.0.2.30', '2001:db8:5::10']) expect((await run(['requests', 'submit', '--ip', ip])).code, ip).toBe(0)
      await db.sql("INSERT INTO ip (family, addr, status, assigned_to) VALUES (4, INET_ATON('192.0.2.30'), 'ALLOCATED', 'bob')")
      const pending = (await run(['requests', 'list', '--json'])).json()
      expect(pending).toHaveLength(3)
      const [first, second, third] = pending
      const session = runPty(['requests', 'triage', '--by', 'triager', '--no-color'], {env: {IPAM_DATABASE_URL: db.url}, home})
      await session.expect(`Request #${first.id}`)
      await session.expect(`Decide #${first.id}`)
      session.write('a')
      await session.expect(`→ approved #${first.id}`)
      await session.expect(`Request #${second.id}`)
      // the second is 192.0.2.30, which bob holds: the card says so before the decision
      expect(second.ip).toBe('192.0.2.30')
      await session.expect('Conflict     address already ALLOCATED to bob')
      await session.expect(`Decide #${second.id}`)
      session.write('r')
      await session.expect('Reason (optional)')
      session.write('duplicate of an older request\r')
      await session.expect(`→ rejected #${second.id}: duplicate of an older request`)
      await session.expect(`Request #${third.id}`)
      await session.expect(`Decide #${third.id}`)
      session.write('q')
      await session.expect('Triage summary')
      expect((await session.exited()).code).toBe(0)
      expect(session.output).toMatch(/1 approved, 1 rejected, 0 skipped/)
      const rows = await db.sql('SELECT id, status, reason, decided_by FROM ip_request WHERE id IN (?) ORDER BY id', [[first.id, second.id, third.id]])
      expect(rows.map((r: any) => [r.status, r.reason, r.decided_by])).toEqual([
        ['APPROVED', null, 'triager'],
        ['REJECTED', 'duplicate of an older request', 'triager'],
        ['PENDING', null, null],
      ])
    } finally {
      await db.drop()
    }
  })

  it('writes every decision to the audit log', async () => {
    const {db, run} = await own('requests_audit')
    try {
      const ids = []
      for (const ip of ['192.0.2.20', '192.0.2.21']) ids.push(String((await run(['requests', 'submit', '--ip', ip, '--json'])).json().id))
      expect((await run(['requests', 'approve', ids[0]])).code).toBe(0)
      expect((await run(['requests', 'reject', ids[1], '--reason', 'no'])).code).toBe(0)
      const log = (await run(['log', '--action', 'requests', '--limit', '100', '--json'])).json()
      expect(log.map((e: any) => e.action).sort()).toEqual(['requests.approve', 'requests.reject', 'requests.submit', 'requests.submit'])
    } finally {
      await db.drop()
    }
  })
})
