import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {setSetting} from '../../src/admin/settings.js'
import {approveOne, getRequest, rejectOne, submitRequest} from '../../src/requests/requests.js'
import {addNetwork} from '../../src/space/networks.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'

describe('deciding one request at a time (triage)', () => {
  let db: TestDatabase
  let n = 10

  beforeAll(async () => {
    db = await freshDatabase('decisions')
    await addNetwork(db.pool, {cidr: '203.0.113.0/24'})
    await setSetting(db.pool, 'support-email', 'noc@example.com')
  })
  afterAll(async () => {
    await db.drop()
  })

  const submit = (email?: string) => submitRequest(db.pool, {ip: `203.0.113.${n++}`, email})

  it('submitting returns the request and the outbox ids it queued (support is told)', async () => {
    const {request, queued} = await submit('a@example.com')
    expect(queued).toHaveLength(1)
    const [row] = await db.sql('SELECT recipient, subject FROM ipam_outbox WHERE id = ?', queued)
    expect(row.recipient).toBe('noc@example.com')
    expect(row.subject).toContain(request.ip)
  })

  it('approveOne decides one request and returns the message it queued for the requester', async () => {
    const {request} = await submit('b@example.com')
    const {decision, queued} = await approveOne(db.pool, request.id, 'tester')
    expect(decision).toMatchObject({id: request.id, ok: true, status: 'APPROVED'})
    expect((await db.sql('SELECT recipient FROM ipam_outbox WHERE id IN (?)', [queued])).map((r: any) => r.recipient)).toEqual(['b@example.com'])
  })

  it('a refused approval is a failed decision, not an error, and queues nothing', async () => {
    const {request} = await submit('c@example.com')
    await db.sql('INSERT INTO ip (family, addr, status, assigned_to) VALUES (4, INET_ATON(?), ?, ?)', [request.ip, 'ALLOCATED', 'bob'])
    const {decision, queued} = await approveOne(db.pool, request.id)
    expect(decision).toMatchObject({ok: false, code: 'address_taken', kind: 'conflict'})
    expect(queued).toEqual([])
    expect((await getRequest(db.pool, request.id)).status).toBe('PENDING')
  })

  it('rejectOne keeps the reason; a second decision is refused as already decided', async () => {
    const {request} = await submit()
    const first = await rejectOne(db.pool, request.id, 'no room')
    expect(first.decision.ok).toBe(true)
    expect(first.queued).toEqual([])
    const again = await rejectOne(db.pool, request.id, 'again')
    expect(again.decision).toMatchObject({ok: false, code: 'already_decided'})
  })

  it('a request view keeps its address as a number, and leaves it out of JSON', async () => {
    const {request} = await submit()
    expect(request.addr).toBe((203n << 24n) + (113n << 8n) + BigInt(n - 1))
    expect(JSON.parse(JSON.stringify(request))).not.toHaveProperty('addr')
    expect(JSON.parse(JSON.stringify(request)).ip).toBe(request.ip)
  })
})
