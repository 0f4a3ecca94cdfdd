import {spawn} from 'node:child_process'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, cleanEnv, cliFor, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {serve} from '../support/serve.js'
import {TestSmtp, UnansweringSmtp} from '../support/smtp.js'

/** Short timeouts in the URL: documented as milliseconds, and what a command's wait is bounded by. */
const FAST = 'connectionTimeout=1000&greetingTimeout=1000&socketTimeout=1000&sendTimeout=2000'

const until = async (check: () => boolean | Promise<boolean>, ms = 60_000) => {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('mail never hangs a command and is sent exactly once', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const home = tempHome()
  const good = new TestSmtp()
  const silent = new UnansweringSmtp('silent')
  const greets = new UnansweringSmtp('greets')
  let next = 1

  /** A request with an e-mail, decided by rejecting it with no SMTP configured: its message waits in the outbox. */
  async function waitingMessage(): Promise<{id: number; email: string}> {
    const email = `user${next}@example.com`
    const sub = await run(['requests', 'submit', '--ip', `192.0.2.${next++}`, '--email', email, '--json'])
    expect(sub.code, sub.stderr).toBe(0)
    const id = sub.json().id
    expect((await run(['requests', 'reject', String(id)])).code).toBe(0)
    return {id, email}
  }

  beforeAll(async () => {
    db = await freshDatabase('mail')
    run = cliFor(db.url, home)
    await Promise.all([good.start(), silent.start(), greets.start()])
    expect((await run(['networks', 'add', '192.0.2.0/24'])).code).toBe(0)
  })
  afterAll(async () => {
    await Promise.all([good.stop(), silent.stop(), greets.stop()])
    await db.drop()
  })

  for (const server of [silent, greets]) {
    const what = server.mode === 'silent' ? 'accepts and never says a word' : 'greets, then reads and never replies'
    it(`requests approve ends within its timeouts when the SMTP server ${what}`, async () => {
      const a = (await run(['requests', 'submit', '--ip', `192.0.2.${next++}`, '--email', 'a@example.com', '--json'])).json().id
      const b = (await run(['requests', 'submit', '--ip', `192.0.2.${next++}`, '--email', 'b@example.com', '--json'])).json().id
      const started = Date.now()
      const r = await run(['requests', 'approve', String(a), String(b)], {env: {IPAM_SMTP_URL: server.url(FAST)}, timeoutMs: 60_000})
      const took = Date.now() - started
      // Before the fix the process never exited (killed by the harness: no exit code).
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/could not be sent/)
      // One message tried (2 s at most), the other left for `notify retry` rather than waiting again.
      expect(r.stderr).toMatch(/1 more notification left in the outbox untried/)
      // sendTimeout (2 s) + a second, plus start-up on a loaded machine
      expect(took).toBeLessThan(15_000)
      const rows = await db.sql('SELECT status FROM ip_request WHERE id IN (?)', [[a, b]])
      expect(rows.map((x: any) => x.status)).toEqual(['APPROVED', 'APPROVED'])
      const left = await db.sql("SELECT status FROM ipam_outbox WHERE recipient IN ('a@example.com', 'b@example.com') AND status <> 'SENT' ORDER BY id")
      expect(left.map((x: any) => x.status)).toEqual(['FAILED', 'PENDING'])
      await until(() => server.open === 0, 10_000)
      await db.sql("UPDATE ipam_outbox SET status = 'SENT' WHERE recipient IN ('a@example.com', 'b@example.com')")
    })

    it(`notify retry ends within its timeouts with exit 5 when the SMTP server ${what}`, async () => {
      const {email} = await waitingMessage()
      const started = Date.now()
      const r = await run(['notify', 'retry'], {env: {IPAM_SMTP_URL: server.url(FAST)}, timeoutMs: 60_000})
      expect(r.code, r.stderr).toBe(5)
      expect(Date.now() - started).toBeLessThan(15_000)
      expect(r.stderr).toMatch(/no answer|timeout|Greeting never received/i)
      const [row] = await db.sql('SELECT status, last_error FROM ipam_outbox WHERE recipient = ?', [email])
      expect(row.status).toBe('FAILED')
      // The server never closed a connection: the client must have destroyed it.
      await until(() => server.open === 0, 10_000)
      await db.sql("UPDATE ipam_outbox SET status = 'SENT' WHERE recipient = ?", [email])
    })
  }

  it('a message whose notify retry was killed mid-send is sent by a later retry, exactly once', async () => {
    await db.sql("UPDATE ipam_outbox SET status = 'SENT' WHERE status <> 'SENT'")
    const {email} = await waitingMessage()
    const child = spawn(process.execPath, [BIN, 'notify', 'retry'], {env: cleanEnv(home, {IPAM_DATABASE_URL: db.url, IPAM_SMTP_URL: silent.url('connectionTimeout=60000&greetingTimeout=60000&socketTimeout=60000&sendTimeout=3000')}), stdio: 'ignore'})
    const exited = new Promise((resolve) => child.on('close', resolve))
    await until(async () => (await db.sql('SELECT status FROM ipam_outbox WHERE recipient = ?', [email]))[0].status === 'SENDING')
    child.kill('SIGKILL')
    await exited
    expect((await db.sql('SELECT status FROM ipam_outbox WHERE recipient = ?', [email]))[0].status).toBe('SENDING')
    // Retries against a good server: the claim holds until its send timeout (3 s) and margin have passed, then one sends it.
    let sent = 0
    let busySeen = false
    await until(async () => {
      const r = await run(['notify', 'retry', '--json'], {env: {IPAM_SMTP_URL: good.url}})
      expect(r.code, r.stderr).toBe(0)
      const report = r.json()
      if (report.busy > 0) busySeen = true
      sent += report.sent
      return sent > 0
    }, 60_000)
    expect(busySeen).toBe(true)
    expect(sent).toBe(1)
    expect((await run(['notify', 'retry', '--json'], {env: {IPAM_SMTP_URL: good.url}})).json()).toMatchObject({sent: 0, busy: 0})
    expect(good.received.filter((m) => m.to[0] === email)).toHaveLength(1)
    expect((await db.sql('SELECT status FROM ipam_outbox WHERE recipient = ?', [email]))[0].status).toBe('SENT')
  })

  it('ipam serve answers the agent before mailing support, and a silent SMTP server does not delay the answer', async () => {
    expect((await run(['settings', 'set', 'support-email', 'noc@example.com'])).code).toBe(0)
    try {
      const server = await serve(db.url, {IPAM_SMTP_URL: silent.url('connectionTimeout=8000&greetingTimeout=8000&socketTimeout=8000&sendTimeout=8000')})
      try {
        const started = Date.now()
        const res = await fetch(`${server.base}/v1/agent/ipam/request`, {method: 'POST', body: `ip=192.0.2.${next++}`, headers: {'content-type': 'application/x-www-form-urlencoded'}})
        expect(await res.text()).toBe('{"valid":true,"message":"IP request created"}')
        // the send waits out its 8 s; the agent did not
        expect(Date.now() - started).toBeLessThan(6_000)
        await until(async () => (await db.sql("SELECT status FROM ipam_outbox WHERE recipient = 'noc@example.com'")).some((r: any) => r.status === 'SENDING'))
      } finally {
        server.child.kill('SIGTERM')
        await server.exited
      }
    } finally {
      await db.sql("DELETE FROM ipam_settings WHERE name = 'support-email'")
      await db.sql("UPDATE ipam_outbox SET status = 'SENT' WHERE recipient = 'noc@example.com'")
    }
  })

  it('notify retry with no SMTP server configured is a usage error (exit 2) that says how to configure one', async () => {
    const r = await run(['notify', 'retry'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('no SMTP server is configured')
    expect(r.stderr).toContain('IPAM_SMTP_URL')
    expect(r.stderr).toContain('ipam config set smtp-url')
  })

  it('notify retry against a server that refuses exits 5, and the messages stay for the next retry', async () => {
    await db.sql("UPDATE ipam_outbox SET status = 'SENT' WHERE status <> 'SENT'")
    const {email} = await waitingMessage()
    good.refuse = true
    try {
      const r = await run(['notify', 'retry', '--json'], {env: {IPAM_SMTP_URL: good.url}})
      expect(r.code).toBe(5)
      expect(r.json().failed).toHaveLength(1)
    } finally {
      good.refuse = false
    }
    expect((await db.sql('SELECT status FROM ipam_outbox WHERE recipient = ?', [email]))[0].status).toBe('FAILED')
    const again = await run(['notify', 'retry', '--json'], {env: {IPAM_SMTP_URL: good.url}})
    expect(again.code).toBe(0)
    expect(again.json().sent).toBe(1)
  })
})
