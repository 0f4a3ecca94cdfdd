import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliFor, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {hasPty, runPty} from '../support/pty.js'

describe('triage decides only by a key, on a card the user has seen', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const home = tempHome()
  let next = 1

  beforeAll(async () => {
    db = await freshDatabase('triage')
    run = cliFor(db.url, home)
    expect((await run(['networks', 'add', '198.51.100.0/24'])).code).toBe(0)
  })
  afterAll(async () => {
    await db.drop()
  })

  /** PENDING requests of this test only: the older ones are rejected first, so each test sees its own cards. */
  async function freshRequests(n: number): Promise<{id: number; ip: string}[]> {
    const old = await db.sql("SELECT id FROM ip_request WHERE status = 'PENDING'")
    if (old.length > 0) expect((await run(['requests', 'reject', ...old.map((r: any) => String(r.id))])).code).toBe(0)
    const out: {id: number; ip: string}[] = []
    for (let i = 0; i < n; i++) {
      const ip = `198.51.100.${next++}`
      out.push({id: (await run(['requests', 'submit', '--ip', ip, '--email', `u${next}@example.com`, '--json'])).json().id, ip})
    }
    return out
  }
  const statuses = async (ids: number[]) => (await db.sql('SELECT status FROM ip_request WHERE id IN (?) ORDER BY id', [ids])).map((r: any) => r.status)
  const triage = () => runPty(['requests', 'triage', '--no-color', '--by', 'triager'], {env: {IPAM_DATABASE_URL: db.url, LANG: 'C.UTF-8'}, home})

  it.skipIf(!hasPty)('names the keys in the footer and confirms each decision on its card in one line', async () => {
    const [a, b, c] = await freshRequests(3)
    const session = triage()
    await session.expect(`Decide #${a.id}: a approve · r reject · s skip · q quit`)
    session.write('a')
    await session.expect(`→ approved #${a.id}: ${a.ip} is USED by u`)
    await session.expect(`Decide #${b.id}: a approve · r reject · s skip · q quit`)
    session.write('s')
    await session.expect(`→ skipped #${b.id}`)
    await session.expect(`Decide #${c.id}`)
    session.write('r')
    await session.expect('Reason (optional)')
    session.write('no room\r')
    await session.expect(`→ rejected #${c.id}: no room`)
    await session.expect('Triage summary: 1 approved, 1 rejected, 1 skipped')
    expect((await session.exited()).code).toBe(0)
    expect(await statuses([a.id, b.id, c.id])).toEqual(['APPROVED', 'PENDING', 'REJECTED'])
  })

  it.skipIf(!hasPty)('Enter alone (or an arrow key) decides nothing, even pressed many times', async () => {
    const [a] = await freshRequests(1)
    const session = triage()
    await session.expect(`Decide #${a.id}`)
    session.write('\r\r\r\u001b[A\u001b[B\r')
    await session.expect('Enter does not decide: press a, r, s or q')
    session.write('q')
    await session.expect('Triage summary: 0 approved, 0 rejected, 0 skipped')
    expect((await session.exited()).code).toBe(0)
    expect(await statuses([a.id])).toEqual(['PENDING'])
  })

  it.skipIf(!hasPty)('a card whose address is taken says so, and Enter does not approve it', async () => {
    const [a] = await freshRequests(1)
    // `ips allocate` refuses an address with a PENDING request (exit 4), so it is taken by hand-written SQL
    expect((await run(['ips', 'allocate', a.ip, '--assigned-to', 'bob'])).code).toBe(4)
    await db.sql("INSERT INTO ip (family, addr, status, assigned_to) VALUES (4, INET_ATON(?), 'ALLOCATED', 'bob')", [a.ip])
    const session = triage()
    await session.expect('Conflict     address already ALLOCATED to bob')
    await session.expect(`Decide #${a.id}`)
    session.write('\r')
    await session.expect('this address is taken: approving will be refused')
    session.write('s')
    await session.expect('Triage summary: 0 approved, 0 rejected, 1 skipped')
    expect((await session.exited()).code).toBe(0)
    expect(await statuses([a.id])).toEqual(['PENDING'])
    expect((await db.sql('SELECT assigned_to FROM ip WHERE family = 4 AND addr = INET_ATON(?)', [a.ip]))[0].assigned_to).toBe('bob')
  })

  it.skipIf(!hasPty)('keys typed before a card is drawn are thrown away', async () => {
    const [a, b] = await freshRequests(2)
    const session = triage()
    // typed at once, long before the first card can be on the screen
    session.write('a')
    await session.expect(`Request #${a.id}`)
    await session.expect(`Decide #${a.id}`)
    session.write('s')
    await session.expect(`→ skipped #${a.id}`)
    // typed as soon as the first decision shows, while the next card is being prepared
    session.write('aa')
    await session.expect(`Decide #${b.id}`)
    session.write('q')
    await session.expect('Triage summary: 0 approved, 0 rejected, 1 skipped, 0 not decided, 1 left')
    expect((await session.exited()).code).toBe(0)
    expect(await statuses([a.id, b.id])).toEqual(['PENDING', 'PENDING'])
  })
})
