import {readFileSync, writeFileSync} from 'node:fs'
import {mkdtempSync} from 'node:fs'
import {request} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliFor, type CliResult, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {serve, type Served} from '../support/serve.js'
import {tableChecksums} from '../support/checksums.js'

/** An entry is a string, or [[text, times], ...] pieces for long repetitions. */
type Entry = string | [string, number][]
const raw = JSON.parse(readFileSync(new URL('../hostile/corpus.json', import.meta.url), 'utf8')) as Record<string, Entry[] | string>
const expand = (e: Entry) => (typeof e === 'string' ? e : e.map(([t, n]) => t.repeat(n)).join(''))
const corpus = Object.fromEntries(Object.entries(raw).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, (v as Entry[]).map(expand)])) as Record<string, string[]>

/** A place a user's text goes: the command line with X where the input goes, and the exit codes it may end with. */
interface Slot {
  args: string[]
  codes: number[]
}
const slot = (codes: number[], ...args: string[]): Slot => ({args, codes})
const USAGE = [2]
const USAGE_OR_NOT_FOUND = [2, 3]
const FILTER = [0, 2, 3]

let pendingId = ''
const SLOTS: Record<string, () => Slot[]> = {
  addresses: () => [
    slot(USAGE, 'ips', 'show', 'X'),
    slot(USAGE, 'ips', 'allocate', 'X'),
    slot(USAGE, 'ips', 'release', 'X'),
    slot(USAGE, 'requests', 'submit', '--ip', 'X'),
    slot(USAGE, 'networks', 'add', '10.9.0.0/24', '--gateway', 'X'),
    slot(USAGE, 'ips', 'allocate', '--pool', 'p1', '--count', '1', '--assigned-to', 'x', 'X'),
  ],
  cidrs: () => [
    slot(USAGE, 'networks', 'add', 'X'),
    slot(USAGE_OR_NOT_FOUND, 'networks', 'show', 'X'),
    slot(USAGE_OR_NOT_FOUND, 'networks', 'remove', 'X', '--yes'),
    slot(USAGE, 'requests', 'submit', '--ip', '10.0.0.60', '--ip-range', 'X'),
    slot(USAGE_OR_NOT_FOUND, 'ips', 'list', '--network', 'X'),
  ],
  // Reversed, malformed and huge: a range no network holds is "not found" (3), one over another is a conflict (4).
  ranges: () => [slot([2, 3, 4], 'ranges', 'add', 'p1', 'X')],
  emails: () => [
    slot(USAGE, 'users', 'create', 'X', '--no-password'),
    slot(USAGE, 'users', 'promote', 'X'),
    slot(USAGE, 'requests', 'submit', '--ip', '10.0.0.61', '--email', 'X'),
    slot(USAGE, 'settings', 'set', 'support-email', 'X'),
  ],
  numbers: () => [
    slot(USAGE, 'ips', 'allocate', '--pool', 'p1', '--count', 'X'),
    slot(USAGE, 'networks', 'add', '10.8.0.0/24', '--vlan', 'X'),
    slot(USAGE, 'ips', 'list', '--limit', 'X'),
    slot(USAGE, 'log', '--limit', 'X'),
    slot(USAGE, 'networks', 'list', '--over', 'X'),
    slot(USAGE, 'requests', 'show', 'X'),
    slot(USAGE, 'requests', 'approve', 'X'),
    slot(USAGE, 'requests', 'reject', 'X'),
    slot(USAGE, 'ranges', 'remove', 'X'),
    slot(USAGE, 'notify', 'list', '--limit', 'X'),
    slot(USAGE, 'requests', 'list', '--limit', 'X'),
    slot(USAGE, 'serve', '--port', 'X'),
    slot(USAGE, 'sandbox', 'start', '--port', 'X'),
  ],
  choices: () => [
    slot(USAGE, 'ips', 'allocate', '10.0.0.7', '--status', 'X'),
    slot(USAGE, 'ips', 'list', '--status', 'X'),
    slot(USAGE, 'requests', 'list', '--status', 'X'),
    slot(USAGE, 'ips', 'export', '--format', 'X'),
    slot(USAGE, 'networks', 'list', '--family', 'X'),
    slot(USAGE, 'requests', 'list', '--sort', 'X'),
    slot(USAGE, 'notify', 'list', '--status', 'X'),
  ],
  text: () => [
    slot(USAGE, 'networks', 'add', '10.7.0.0/24', '--name', 'X'),
    slot(USAGE, 'pools', 'add', 'X'),
    slot(USAGE, 'pools', 'add', 'px', '--note', 'X'),
    slot(USAGE, 'networks', 'add', '10.6.0.0/24', '--location', 'X'),
    slot(USAGE, 'ips', 'allocate', '10.0.0.5', '--description', 'X'),
    slot(USAGE, 'ips', 'allocate', '10.0.0.5', '--assigned-to', 'X'),
    slot(USAGE, 'ips', 'allocate', '10.0.0.5', '--assign-type', 'X'),
    slot(USAGE, 'requests', 'submit', '--ip', '10.0.0.62', '--description', 'X'),
    slot(USAGE, 'requests', 'submit', '--ip', '10.0.0.62', '--region', 'X'),
    slot(USAGE, 'requests', 'reject', pendingId, '--reason', 'X'),
    slot(USAGE, 'requests', 'approve', pendingId, '--by', 'X'),
    slot(USAGE, 'networks', 'add', '10.5.0.0/24', '--note', 'X'),
    slot(USAGE, 'pools', 'add', 'py', '--location', 'X'),
  ],
  lookups: () => [
    slot(USAGE_OR_NOT_FOUND, 'networks', 'show', 'X'),
    slot(USAGE_OR_NOT_FOUND, 'pools', 'show', 'X'),
    slot(USAGE_OR_NOT_FOUND, 'pools', 'remove', 'X', '--yes'),
    slot(USAGE_OR_NOT_FOUND, 'networks', 'remove', 'X', '--yes'),
    slot(USAGE_OR_NOT_FOUND, 'ranges', 'list', '--pool', 'X'),
    slot(USAGE_OR_NOT_FOUND, 'ips', 'list', '--pool', 'X'),
    slot(USAGE_OR_NOT_FOUND, 'ips', 'allocate', '--pool', 'X'),
    slot(USAGE_OR_NOT_FOUND, 'ranges', 'add', 'X', '10.0.0.30-10.0.0.31'),
    slot(USAGE, 'settings', 'get', 'X'),
    slot(USAGE_OR_NOT_FOUND, 'ips', 'list', '--network', 'X'),
    slot(USAGE_OR_NOT_FOUND, 'requests', 'list', '--network', 'X'),
    slot(USAGE_OR_NOT_FOUND, 'networks', 'map', 'X'),
    slot(USAGE, 'config', 'get', 'X'),
    slot(USAGE, 'settings', 'set', 'X', 'v'),
    slot(USAGE_OR_NOT_FOUND, 'ips', 'export', '--pool', 'X'),
    slot(USAGE, 'users', 'promote', 'X'),
    slot(USAGE, 'integration', 'check', '--master', 'X'),
    slot(USAGE, 'config', 'set', 'db', 'X'),
    // Filters: a value that matches nothing is an empty answer (exit 0), never a change.
    slot(FILTER, 'networks', 'list', '--location', 'X'),
    slot(FILTER, 'pools', 'list', '--location', 'X'),
    slot(FILTER, 'requests', 'list', '--region', 'X'),
    slot(FILTER, 'log', '--action', 'X'),
  ],
}

/** The start of a value as a message would show it: its printable characters up to the first control character. */
function visiblePrefix(value: string): string {
  const m = /^[^\u0000-\u001f\u007f-\u009f]*/.exec(value)![0]
  return [...m].slice(0, 12).join('')
}

/** Runs jobs with at most `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, job: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({length: width}, async () => {
      while (next < items.length) {
        const i = next++
        results[i] = await job(items[i], i)
      }
    }),
  )
  return results
}

const CONTROL_IN_OUTPUT = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/
/** On stdout a tab is the TSV separator (lists print TSV to a pipe); any other control character is raw. */
const CONTROL_IN_STDOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

describe('hostile input', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  let before: Record<string, string>
  const dir = mkdtempSync(join(tmpdir(), 'ipam-hostile-'))

  beforeAll(async () => {
    db = await freshDatabase('hostile')
    run = cliFor(db.url, tempHome())
    for (const args of [
      ['networks', 'add', '10.0.0.0/24', '--name', 'lan'],
      ['networks', 'add', '2001:db8::/48'],
      ['pools', 'add', 'p1'],
      ['ranges', 'add', 'p1', '10.0.0.10-10.0.0.20'],
      ['ips', 'allocate', '--pool', 'p1', '--count', '3'],
      ['users', 'create', 'admin@example.com', '--admin', '--no-password'],
      ['settings', 'set', 'support-email', 'noc@example.com'],
      ['requests', 'submit', '--ip', '10.0.0.100', '--email', 'req@example.com'],
    ]) expect((await run(args)).code, args.join(' ')).toBe(0)
    pendingId = String((await db.sql("SELECT id FROM ip_request WHERE status = 'PENDING'"))[0].id)
    before = await tableChecksums(db)
  })
  afterAll(async () => {
    await db.drop()
  })

  it('the corpus holds at least 300 inputs', () => {
    const total = Object.values(corpus).reduce((n, v) => n + v.length, 0)
    expect(total).toBeGreaterThanOrEqual(300)
  })

  it('every input on the command line: the documented exit code, a message naming it, no raw control characters, no change', async () => {
    interface Case {
      category: string
      input: string
      args: string[]
      codes: number[]
      json: boolean
    }
    const cases: Case[] = []
    for (const [category, make] of Object.entries(SLOTS)) {
      const slots = make()
      // NUL cannot travel in argv; those inputs go in files and HTTP bodies below.
      const inputs = corpus[category].filter((s) => !s.includes('\u0000'))
      // Every input once, in turn through the category's slots, and every slot at least once.
      const n = Math.max(inputs.length, slots.length)
      for (let i = 0; i < n; i++) {
        const input = inputs[i % inputs.length]
        const s = slots[i % slots.length]
        cases.push({category, input, args: s.args.map((a) => (a === 'X' ? input : a)), codes: s.codes, json: i % 5 === 4})
      }
    }
    for (const [i, content] of corpus.csv.entries()) {
      const file = join(dir, `rows-${i}.csv`)
      writeFileSync(file, `address,status,assigned_to,assign_type,description\n${content}\n`)
      cases.push({category: 'csv', input: file, args: ['ips', 'import', file], codes: USAGE, json: i % 5 === 4})
    }
    for (const [i, header] of corpus.csvHeaders.entries()) {
      const file = join(dir, `header-${i}.csv`)
      writeFileSync(file, `${header}\n10.0.0.5,ALLOCATED\n`)
      cases.push({category: 'csvHeaders', input: file, args: ['ips', 'import', file], codes: USAGE, json: false})
    }
    for (const [i, content] of corpus.backups.entries()) {
      const file = join(dir, `backup-${i}.ipam`)
      writeFileSync(file, Buffer.from(content, 'latin1'))
      cases.push({category: 'backups', input: file, args: ['restore', file, '--yes'], codes: USAGE, json: false})
    }
    expect(cases.length).toBeGreaterThanOrEqual(300)

    const failures: string[] = []
    const results = await inBatches(cases, 3, (c) => run(c.json ? [...c.args, '--json'] : c.args))
    results.forEach((r: CliResult, i) => {
      const c = cases[i]
      const what = `${c.category} ${JSON.stringify(c.args.map((a) => (a.length > 40 ? `${a.slice(0, 40)}…(${a.length})` : a)))}`
      if (!c.codes.includes(r.code ?? -1)) failures.push(`${what}: exit ${r.code}, expected ${c.codes.join(' or ')}\n    ${r.stderr.trim().slice(0, 300)}`)
      if (CONTROL_IN_OUTPUT.test(r.stderr) || CONTROL_IN_STDOUT.test(r.stdout)) failures.push(`${what}: raw control characters in the output: ${JSON.stringify((CONTROL_IN_OUTPUT.test(r.stderr) ? r.stderr : r.stdout).slice(0, 200))}`)
      if (/This is a bug|unexpected error/.test(r.stderr + r.stdout)) failures.push(`${what}: reported as a bug`)
      let message = r.stderr
      if (c.json) {
        try {
          r.json()
          message = r.stdout
        } catch {
          failures.push(`${what}: --json gave no JSON document: ${r.stdout.slice(0, 200)}`)
        }
      }
      // A database URL may hold a password, so its errors name the flag, never the text.
      const secretBearing = c.args.includes('--master') || (c.args[0] === 'config' && c.args[2] === 'db')
      const named = c.category === 'csv' || c.category === 'csvHeaders' || c.category === 'backups' || secretBearing ? '' : visiblePrefix(c.input).trim()
      // Messages show a value JSON-quoted, so quotes and backslashes in it appear escaped.
      if (named && r.code !== 0 && !message.includes(named) && !message.includes(JSON.stringify(named).slice(1, -1))) failures.push(`${what}: the message does not name the value (${JSON.stringify(named)}): ${message.trim().slice(0, 200)}`)
    })
    expect(failures, failures.join('\n')).toEqual([])
    expect(await tableChecksums(db)).toEqual(before)
  }, 900_000)

  describe('over HTTP (ipam serve)', () => {
    let server: Served
    beforeAll(async () => {
      server = await serve(db.url)
    })
    afterAll(async () => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL')
    })

    /** A raw HTTP exchange, so that bodies and headers can be malformed on purpose. */
    function exchange(method: string, path: string, body: Buffer | string, headers: Record<string, string | number>): Promise<{status: number; text: string}> {
      const u = new URL(server.base)
      return new Promise((resolve, reject) => {
        const req = request({host: u.hostname, port: u.port, method, path, headers}, (res) => {
          let text = ''
          res.setEncoding('utf8').on('data', (d) => (text += d))
          res.on('end', () => resolve({status: res.statusCode ?? 0, text}))
        })
        req.on('error', reject)
        req.end(body)
      })
    }

    it('answers every input and malformed body with a JSON refusal, never a 500, and keeps answering', async () => {
      const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
      const bodies: {label: string; body: Buffer | string; type: string; path?: string; method?: string}[] = []
      const strings = [...corpus.addresses, ...corpus.cidrs, ...corpus.ranges, ...corpus.lookups, ...corpus.numbers, ...corpus.choices, ...corpus.text, ...corpus.emails]
      for (const s of strings) {
        bodies.push({label: `ip=${s.slice(0, 30)}`, body: form({ip: s}), type: 'application/x-www-form-urlencoded'})
        bodies.push({label: `json ip=${s.slice(0, 30)}`, body: JSON.stringify({ip: s, email: 'a@example.com'}), type: 'application/json'})
      }
      // Agents send empty form fields for what they do not know: over HTTP an empty optional field is an absent one.
      const given = (list: string[]) => list.filter((s) => s !== '')
      for (const s of given(corpus.emails)) bodies.push({label: `email=${s.slice(0, 30)}`, body: form({ip: '10.0.0.70', email: s}), type: 'application/x-www-form-urlencoded'})
      for (const s of given(corpus.text)) {
        bodies.push({label: `description=${s.slice(0, 30)}`, body: form({ip: '10.0.0.71', description: s}), type: 'application/x-www-form-urlencoded'})
        bodies.push({label: `region=${s.slice(0, 30)}`, body: JSON.stringify({ip: '10.0.0.72', region: s}), type: 'application/json'})
      }
      for (const s of given(corpus.cidrs)) bodies.push({label: `ipRange=${s.slice(0, 30)}`, body: form({ip: '10.0.0.73', ipRange: s}), type: 'application/x-www-form-urlencoded'})
      const malformed: [string, Buffer | string, string][] = [
        ['invalid JSON', '{"ip": "10.0.0.74",', 'application/json'],
        ['JSON array', '["10.0.0.74"]', 'application/json'],
        ['JSON string', '"10.0.0.74"', 'application/json'],
        ['JSON null', 'null', 'application/json'],
        ['ip as an object', '{"ip": {"$gt": ""}}', 'application/json'],
        ['ip as a number', '{"ip": 167772234}', 'application/json'],
        ['ip as an array', '{"ip": ["10.0.0.74", "10.0.0.75"]}', 'application/json'],
        ['ip twice in a form', 'ip=10.0.0.74&ip=10.0.0.75', 'application/x-www-form-urlencoded'],
        ['email as an object', '{"ip": "10.0.0.74", "email": {"a": 1}}', 'application/json'],
        ['__proto__', '{"ip": "10.0.0.74", "__proto__": {"valid": true}, "description": {"toString": 1}}', 'application/json'],
        ['bad percent-encoding', 'ip=%zz%ff&email=%', 'application/x-www-form-urlencoded'],
        ['invalid UTF-8', Buffer.from([0x69, 0x70, 0x3d, 0xff, 0xfe, 0xc0, 0xaf]), 'application/x-www-form-urlencoded'],
        ['empty body', '', 'application/x-www-form-urlencoded'],
        ['NUL body', Buffer.alloc(100), 'application/json'],
        ['XML', '<request><ip>10.0.0.74</ip></request>', 'application/xml'],
        ['multipart', '--x\r\nContent-Disposition: form-data; name="ip"\r\n\r\n10.0.0.74\r\n--x--', 'multipart/form-data; boundary=x'],
        ['deep JSON', `${'['.repeat(50_000)}${']'.repeat(50_000)}`, 'application/json'],
        ['many fields', Array.from({length: 20_000}, (_, i) => `f${i}=1`).join('&'), 'application/x-www-form-urlencoded'],
        ['oversized', `ip=10.0.0.74&description=${'x'.repeat(3_000_000)}`, 'application/x-www-form-urlencoded'],
        ['oversized JSON', JSON.stringify({ip: '10.0.0.74', description: 'y'.repeat(2_000_000)}), 'application/json'],
      ]
      for (const [label, body, type] of malformed) bodies.push({label, body, type})
      bodies.push({label: 'GET on the intake', body: '', type: 'text/plain', method: 'GET'})
      bodies.push({label: 'unknown path', body: 'ip=10.0.0.74', type: 'application/x-www-form-urlencoded', path: "/v1/agent/ipam/request/../../admin?x='%20OR%201=1"})
      bodies.push({label: 'DELETE', body: '', type: 'text/plain', method: 'DELETE'})

      const failures: string[] = []
      const replies = await inBatches(bodies, 8, async (b) => {
        try {
          return await exchange(b.method ?? 'POST', b.path ?? '/v1/agent/ipam/request', b.body, {'Content-Type': b.type, 'Content-Length': Buffer.byteLength(b.body)})
        } catch (error) {
          // The server may close the connection on an oversized body; it must not die.
          return {status: -1, text: String(error)}
        }
      })
      replies.forEach((r, i) => {
        const b = bodies[i]
        if (r.status === -1 && !/oversized/.test(b.label)) failures.push(`${b.label}: ${r.text}`)
        if (r.status >= 500) failures.push(`${b.label}: ${r.status} ${r.text.slice(0, 200)}`)
        if (r.status === 200) failures.push(`${b.label}: accepted`)
        if (r.status > 0) {
          try {
            const j = JSON.parse(r.text)
            if (j.valid !== false || typeof j.message !== 'string') failures.push(`${b.label}: ${r.text.slice(0, 200)}`)
          } catch {
            failures.push(`${b.label}: not JSON: ${r.text.slice(0, 200)}`)
          }
        }
      })
      // A client that promises more than it sends, then hangs up.
      await new Promise<void>((resolve) => {
        const u = new URL(server.base)
        const req = request({host: u.hostname, port: u.port, method: 'POST', path: '/v1/agent/ipam/request', headers: {'Content-Type': 'application/json', 'Content-Length': 1000}})
        req.on('error', () => resolve())
        req.write('{"ip": "10.0.0.7')
        setTimeout(() => {
          req.destroy()
          resolve()
        }, 200)
      })
      expect(failures, failures.join('\n')).toEqual([])
      expect(bodies.length).toBeGreaterThanOrEqual(300)
      const health = await exchange('GET', '/healthz', '', {})
      expect(health.status).toBe(200)
      expect(server.child.exitCode).toBeNull()
      expect(await tableChecksums(db)).toEqual(before)
      // Still takes a good request afterwards.
      const ok = await exchange('POST', '/v1/agent/ipam/request', 'ip=10.0.0.99', {'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': 12})
      expect(ok).toEqual({status: 200, text: '{"valid":true,"message":"IP request created"}'})
    }, 300_000)
  })
})
