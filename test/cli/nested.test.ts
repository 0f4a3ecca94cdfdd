import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliFor, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {TestSmtp} from '../support/smtp.js'
import {until} from '../support/wait.js'

describe('nested networks, orphaned requests and contradicting approvals, through the CLI', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const smtp = new TestSmtp()
  let mailEnv: Record<string, string>
  beforeAll(async () => {
    db = await freshDatabase('nested_cli')
    await smtp.start()
    mailEnv = {IPAM_SMTP_URL: smtp.url, IPAM_MAIL_FROM: 'ipam@example.com'}
    run = cliFor(db.url, tempHome())
    for (const args of [
      ['networks', 'add', '192.0.2.0/24'],
      ['networks', 'add', '192.0.2.128/25'],
      ['networks', 'add', '192.0.2.192/26', '--gateway', '192.0.2.193'],
      ['pools', 'add', 'p'],
    ]) expect((await run(args)).code, args.join(' ')).toBe(0)
  })
  afterAll(async () => {
    await smtp.stop()
    await db.drop()
  })

  it('the issue\'s reproduction: next-free never hands out a nested network\'s network address or gateway, and says how many it allocated', async () => {
    const range = await run(['ranges', 'add', 'p', '192.0.2.120-192.0.2.140'])
    expect(range.code, range.stderr).toBe(0)
    expect(range.stdout).toContain('(id 1, 21 addresses, 20 usable)')
    const r = await run(['ips', 'allocate', '--pool', 'p', '--count', '10'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n')).not.toContain('192.0.2.128')
    expect(r.stderr).toContain('Allocated 10 addresses from pool p')
    const one = await run(['ips', 'allocate', '--pool', 'p'])
    expect(one.stderr).toContain('Allocated 1 address from pool p')
    expect((await run(['ranges', 'add', 'p', '192.0.2.190-192.0.2.196'])).stdout).toContain('7 addresses, 5 usable')
    const more = await run(['ips', 'allocate', '--pool', 'p', '--count', '14', '--json'])
    expect(more.code, more.stderr).toBe(0)
    const got = more.json().addresses.map((a: {address: string}) => a.address)
    for (const never of ['192.0.2.128', '192.0.2.192', '192.0.2.193']) expect(got).not.toContain(never)
    // the pool is now empty: all or nothing
    const none = await run(['ips', 'allocate', '--pool', 'p'])
    expect(none.code).toBe(4)
    expect(none.stderr).toContain('1 requested, 0 free')
    const map = await run(['networks', 'map', '192.0.2.0/24', '--json'])
    const t = map.json().totals
    expect(t.usable).toBe(251)
    expect(t.ALLOCATED + t.RESERVED + t.USED + t.pending + t.free + t.outside).toBe(t.usable)
  })

  it('a /32 whose only address is the gateway is refused with exit 2 and a clear message', async () => {
    const r = await run(['networks', 'add', '198.51.100.7/32', '--gateway', '198.51.100.7'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('198.51.100.7/32 with gateway 198.51.100.7 would have no usable address')
  })

  it('ips allocate <ip> with a PENDING request: exit 4 naming the request; --force rejects it and mails the requester', async () => {
    const sub = await run(['requests', 'submit', '--ip', '192.0.2.20', '--email', 'erin@example.com', '--json'])
    expect(sub.code, sub.stderr).toBe(0)
    const id = sub.json().id
    const refused = await run(['ips', 'allocate', '192.0.2.20', '--assigned-to', 'frank'])
    expect(refused.code).toBe(4)
    expect(refused.stderr).toContain(`PENDING request #${id}`)
    expect(refused.stderr).toContain('--force')
    const forced = await run(['ips', 'allocate', '192.0.2.20', '--assigned-to', 'frank', '--force'], {env: mailEnv})
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stderr).toContain(`Rejected request #${id}`)
    await until(() => smtp.received.some((m) => m.to.includes('erin@example.com')))
    const show = await run(['requests', 'show', String(id), '--json'])
    expect(show.json()).toMatchObject({status: 'REJECTED'})
  })

  it('a second approval of one address is refused with exit 4 naming who holds it', async () => {
    // a request filed in the /24 before the /25 existed, another after: two PENDING for one address
    await run(['networks', 'add', '203.0.113.0/24'])
    const first = (await run(['requests', 'submit', '--ip', '203.0.113.9', '--json'])).json().id
    await run(['networks', 'add', '203.0.113.0/25'])
    const second = (await run(['requests', 'submit', '--ip', '203.0.113.9', '--json'])).json().id
    expect((await run(['requests', 'approve', String(first)])).code).toBe(0)
    const r = await run(['requests', 'approve', String(second)])
    expect(r.code).toBe(4)
    expect(r.stderr).toContain(`203.0.113.9 is already USED to anonymous (request #${first}); request #${second} stays PENDING`)
  })

  it('networks remove rejects the network\'s PENDING requests and tells the requester; a network deleted by hand leaves orphans that approve refuses (exit 4)', async () => {
    await run(['networks', 'add', '198.51.100.0/24'])
    const mine = (await run(['requests', 'submit', '--ip', '198.51.100.5', '--email', 'gina@example.com', '--json'])).json().id
    const removed = await run(['networks', 'remove', '198.51.100.0/24', '--yes'], {env: mailEnv})
    expect(removed.code, removed.stderr).toBe(0)
    expect(removed.stdout).toContain('rejected 1 PENDING request')
    await until(() => smtp.received.some((m) => m.to.includes('gina@example.com') && m.text.includes('network removed')))
    expect((await run(['requests', 'show', String(mine), '--json'])).json()).toMatchObject({status: 'REJECTED', reason: 'network removed'})

    await run(['networks', 'add', '198.51.100.0/24'])
    const orphan = (await run(['requests', 'submit', '--ip', '198.51.100.6', '--json'])).json().id
    await db.sql("DELETE FROM ipnet WHERE cidr = '198.51.100.0/24'")
    const list = await run(['requests', 'list'])
    expect(list.stdout).toMatch(new RegExp(`${orphan}\\s.*198\\.51\\.100\\.0/24 \\(removed\\).*PENDING orphaned`))
    const show = await run(['requests', 'show', String(orphan)])
    expect(show.stdout).toContain('it can only be rejected')
    const approve = await run(['requests', 'approve', String(orphan)])
    expect(approve.code).toBe(4)
    expect(approve.stderr).toContain('orphaned')
    expect((await run(['requests', 'reject', String(orphan), '--reason', 'network removed'])).code).toBe(0)
  })
})
