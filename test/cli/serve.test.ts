import {request} from 'node:http'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliFor} from '../support/cli.js'
import {serve, type Served} from '../support/serve.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'

async function post(base: string, body: string, headers: Record<string, string> = {'content-type': 'application/x-www-form-urlencoded'}) {
  const res = await fetch(`${base}/v1/agent/ipam/request`, {method: 'POST', body, headers})
  return {status: res.status, text: await res.text()}
}

describe('ipam serve', () => {
  let db: TestDatabase
  let server: Served
  beforeAll(async () => {
    db = await freshDatabase('serve')
    const run = cliFor(db.url)
    expect((await run(['networks', 'add', '192.0.2.0/24'])).code).toBe(0)
    server = await serve(db.url)
  })
  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL')
    await db.drop()
  })

  it('creates a request from a form-encoded body with the documented response, byte for byte', async () => {
    const r = await post(server.base, 'ip=192.0.2.10&email=alice%40example.com&ipRange=192.0.2.0%2F24&region=eu&description=ci+runner')
    expect(r).toEqual({status: 200, text: '{"valid":true,"message":"IP request created"}'})
    const [row] = await db.sql("SELECT email, ip_range, region, description, requested_by, status FROM ip_request WHERE addr = INET_ATON('192.0.2.10')")
    expect(row).toEqual({email: 'alice@example.com', ip_range: '192.0.2.0/24', region: 'eu', description: 'ci runner', requested_by: 'anonymous', status: 'PENDING'})
  })

  it('answers the documented refusal with 409 when a PENDING request exists, and files no second one', async () => {
    expect(await post(server.base, 'ip=192.0.2.40')).toEqual({status: 200, text: '{"valid":true,"message":"IP request created"}'})
    const r = await post(server.base, 'ip=192.0.2.40&email=mallory%40example.com')
    expect(r).toEqual({status: 409, text: '{"valid":false,"message":"Failed to create request"}'})
    expect(await db.sql("SELECT email, status FROM ip_request WHERE addr = INET_ATON('192.0.2.40')")).toEqual([{email: null, status: 'PENDING'}])
  })

  it('accepts JSON bodies', async () => {
    const r = await post(server.base, JSON.stringify({ip: '192.0.2.11', email: 'bob@example.com'}), {'content-type': 'application/json'})
    expect(r).toEqual({status: 200, text: '{"valid":true,"message":"IP request created"}'})
  })

  it('says what is wrong for other refusals, never 500', async () => {
    const cases: [string, Record<string, string>, number, RegExp][] = [
      ['', {'content-type': 'application/x-www-form-urlencoded'}, 400, /ip is required/],
      ['ip=192.0.2.300', {'content-type': 'application/x-www-form-urlencoded'}, 400, /invalid ip "192\.0\.2\.300"/],
      ['ip=203.0.113.9', {'content-type': 'application/x-www-form-urlencoded'}, 404, /no network contains 203\.0\.113\.9/],
      ['ip=192.0.2.12&email=nope', {'content-type': 'application/x-www-form-urlencoded'}, 400, /email/],
      ['{"ip":', {'content-type': 'application/json'}, 400, /not valid JSON/],
      ['{"ip":["192.0.2.12"]}', {'content-type': 'application/json'}, 400, /must be a string/],
      ['ip=192.0.2.12', {'content-type': 'text/plain'}, 415, /x-www-form-urlencoded/],
      [`ip=192.0.2.12&description=${'x'.repeat(20_000)}`, {'content-type': 'application/x-www-form-urlencoded'}, 413, /too large/],
    ]
    for (const [body, headers, status, message] of cases) {
      const r = await post(server.base, body, headers)
      expect(r.status, body.slice(0, 40)).toBe(status)
      const parsed = JSON.parse(r.text)
      expect(parsed.valid).toBe(false)
      expect(parsed.message).toMatch(message)
    }
    const get = await fetch(`${server.base}/v1/agent/ipam/request`)
    expect(get.status).toBe(405)
    const unknown = await fetch(`${server.base}/nope`)
    expect(unknown.status).toBe(404)
    expect(Number((await db.sql("SELECT COUNT(*) AS n FROM ip_request WHERE addr = INET_ATON('192.0.2.12')"))[0].n)).toBe(0)
  })

  it('refuses a body that lies about its length, and keeps answering', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.base}/v1/agent/ipam/request`, {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded', 'content-length': '999999999'}}, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end('ip=1')
    })
    expect(status).toBe(413)
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200)
  })

  it('answers /healthz and logs one line per request on stderr', async () => {
    const res = await fetch(`${server.base}/healthz`)
    expect(res.status).toBe(200)
    expect(server.stderr()).toMatch(/ POST \/v1\/agent\/ipam\/request 200 \d+ms/)
    expect(server.stderr()).toMatch(/ GET \/healthz 200 \d+ms/)
  })

  it('shuts down cleanly on SIGTERM', async () => {
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.stderr()).toContain('SIGTERM: shutting down')
  })

  it('requires the bearer token when IPAM_SERVE_TOKEN is set, and never logs it', async () => {
    const token = 'T0ken-very-secret'
    const s = await serve(db.url, {IPAM_SERVE_TOKEN: token})
    try {
      const none = await post(s.base, 'ip=192.0.2.20')
      expect(none.status).toBe(401)
      const wrong = await post(s.base, 'ip=192.0.2.20', {'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer nope'})
      expect(wrong.status).toBe(401)
      const ok = await post(s.base, 'ip=192.0.2.20', {'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}`})
      expect(ok).toEqual({status: 200, text: '{"valid":true,"message":"IP request created"}'})
    } finally {
      s.child.kill('SIGINT')
      expect(await s.exited).toBe(0)
    }
    expect(s.stderr()).not.toContain(token)
  })
})

describe('ipam serve on a platform that joins and leaves a master while it runs (#13.7)', () => {
  it('puts each request where the address space is at that moment, without a restart', async () => {
    const [platform, master] = await Promise.all([freshDatabase('serve_platform'), freshDatabase('serve_master')])
    const onPlatform = cliFor(platform.url)
    const onMaster = cliFor(master.url)
    expect((await onPlatform(['networks', 'add', '192.0.2.0/24'])).code).toBe(0)
    expect((await onMaster(['users', 'create', 'admin@example.com', '--admin', '--password-stdin'], {input: 'master-admin-pw'})).code).toBe(0)
    const requestsOn = async (db: TestDatabase) => (await db.sql("SELECT INET_NTOA(addr) AS ip FROM ip_request WHERE status = 'PENDING' ORDER BY addr")).map((r: any) => r.ip)
    const s = await serve(platform.url)
    try {
      expect(await post(s.base, 'ip=192.0.2.10')).toEqual({status: 200, text: '{"valid":true,"message":"IP request created"}'})
      expect(await requestsOn(platform)).toEqual(['192.0.2.10'])

      const joined = await onPlatform(['integration', 'setup', '--master', master.url, '--email', 'admin@example.com', '--password-stdin', '--yes'], {input: 'master-admin-pw'})
      expect(joined.code, joined.stderr).toBe(0)
      expect(await post(s.base, 'ip=192.0.2.11')).toEqual({status: 200, text: '{"valid":true,"message":"IP request created"}'})
      expect(await requestsOn(master)).toEqual(['192.0.2.10', '192.0.2.11'])
      expect(await requestsOn(platform)).toEqual([])
      expect(s.stderr()).toContain("this database is a platform of")
      expect((await post(s.base, 'ip=192.0.2.11')).text).toBe('{"valid":false,"message":"Failed to create request"}')

      const removed = await onPlatform(['integration', 'remove', '--yes'])
      expect(removed.code, removed.stderr).toBe(0)
      // the platform is standalone again, with an empty address space of its own
      const none = await post(s.base, 'ip=192.0.2.12')
      expect(none.status).toBe(404)
      expect(none.text).toContain('no network contains 192.0.2.12')
      expect((await onPlatform(['networks', 'add', '192.0.2.0/24'])).code).toBe(0)
      expect((await post(s.base, 'ip=192.0.2.12')).status).toBe(200)
      expect(await requestsOn(platform)).toEqual(['192.0.2.12'])
      expect(await requestsOn(master)).toEqual(['192.0.2.10', '192.0.2.11'])
      expect((await fetch(`${s.base}/healthz`)).status).toBe(200)
    } finally {
      s.child.kill('SIGTERM')
      expect(await s.exited).toBe(0)
    }
    await Promise.all([platform.drop(), master.drop()])
  }, 300_000)
})
