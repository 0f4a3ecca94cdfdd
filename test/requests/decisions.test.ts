import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {migrate} from '../../src/db/schema.js'
import {approveMany, getRequest, listRequests, rejectMany, submitRequest} from '../../src/requests/requests.js'
import {allocate} from '../../src/space/addresses.js'
import {addNetwork, planNetworkRemoval, removeNetwork} from '../../src/space/networks.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {refusal} from '../support/refusal.js'

describe('requests whose network goes away', () => {
  let db: TestDatabase
  beforeEach(async () => {
    db = await freshDatabase('orphans')
    await addNetwork(db.pool, {cidr: '192.0.2.0/24'})
  })
  afterEach(async () => {
    await db.drop()
  })

  it('removing a network rejects its PENDING requests ("network removed") and tells each requester, in the same transaction', async () => {
    const mine = (await submitRequest(db.pool, {ip: '192.0.2.10', email: 'alice@example.com'})).request
    const anon = (await submitRequest(db.pool, {ip: '192.0.2.11'})).request
    const plan = await planNetworkRemoval(db.pool, '192.0.2.0/24')
    expect(plan.requests).toBe(2)
    const before = Number((await db.sql('SELECT COALESCE(MAX(id), 0) AS id FROM ipam_outbox'))[0].id)
    const result = await removeNetwork(db.pool, plan.network.id, plan)
    expect(result.requests).toBe(2)
    for (const id of [mine.id, anon.id]) expect(await getRequest(db.pool, id)).toMatchObject({status: 'REJECTED', reason: 'network removed', orphaned: true})
    const mail = await db.sql('SELECT kind, recipient, body FROM ipam_outbox WHERE id > ?', [before])
    expect(mail).toHaveLength(1)
    expect(mail[0]).toMatchObject({kind: 'request.rejected', recipient: 'alice@example.com'})
    expect(mail[0].body).toContain('network removed')
    // re-added, the network takes one new PENDING request per address, and only one
    await addNetwork(db.pool, {cidr: '192.0.2.0/24'})
    await submitRequest(db.pool, {ip: '192.0.2.10'})
    expect((await refusal(submitRequest(db.pool, {ip: '192.0.2.10'}))).code).toBe('duplicate_request')
  })

  it('a PENDING request filed between the question and the removal stops the removal: nothing removed', async () => {
    const plan = await planNetworkRemoval(db.pool, '192.0.2.0/24')
    await submitRequest(db.pool, {ip: '192.0.2.10'})
    const e = await refusal(removeNetwork(db.pool, plan.network.id, plan))
    expect(e.code).toBe('changed')
    expect(await db.sql('SELECT cidr FROM ipnet')).toEqual([{cidr: '192.0.2.0/24'}])
    expect(await db.sql("SELECT status FROM ip_request")).toEqual([{status: 'PENDING'}])
  })

  it('a network deleted by hand-written SQL leaves its requests orphaned: listed as such, never approved, still rejected; one PENDING per address after re-adding', async () => {
    const old = (await submitRequest(db.pool, {ip: '192.0.2.20', email: 'bob@example.com'})).request
    await db.sql('DELETE FROM ipnet')
    expect((await listRequests(db.pool))[0]).toMatchObject({id: old.id, status: 'PENDING', orphaned: true, network: '192.0.2.0/24'})
    const [approval] = (await approveMany(db.pool, [String(old.id)])).decisions
    expect(approval).toMatchObject({ok: false, kind: 'conflict', code: 'orphaned'})
    expect(approval.message).toContain('orphaned')
    expect(await db.sql('SELECT COUNT(*) AS n FROM ip')).toEqual([{n: '0'}])
    // the same CIDR again: the orphan still holds the address's one PENDING place
    await addNetwork(db.pool, {cidr: '192.0.2.0/24'})
    const dup = await refusal(submitRequest(db.pool, {ip: '192.0.2.20'}))
    expect(dup.kind).toBe('conflict')
    expect(dup.message).toContain(`#${old.id}, orphaned`)
    const [rejection] = (await rejectMany(db.pool, [String(old.id)], 'network removed')).decisions
    expect(rejection).toMatchObject({ok: true, status: 'REJECTED'})
    const fresh = (await submitRequest(db.pool, {ip: '192.0.2.20'})).request
    expect(fresh.orphaned).toBe(false)
    expect(((await approveMany(db.pool, [String(fresh.id)])).decisions)[0]).toMatchObject({ok: true, status: 'APPROVED'})
  })
})

describe('upgrading a database that already holds two PENDING requests for one address and network', () => {
  it('keeps the newest (in the network as it is now), rejects the older saying why, and from then on the database refuses a second', async () => {
    const db = await freshDatabase('migrate_requests')
    try {
      // the schema as version 1 left it: one PENDING per address and network *id*
      await db.sql('ALTER TABLE ip_request DROP KEY uq_request_pending_cidr, ADD UNIQUE KEY uq_request_pending (family, pending_addr, ipnet_id)')
      await db.sql('DELETE FROM ipam_migrations WHERE version >= 2')
      const net = await addNetwork(db.pool, {cidr: '192.0.2.0/24'})
      const insert = "INSERT INTO ip_request (family, addr, ipnet_id, network_cidr) VALUES (4, 3221225994, ?, '192.0.2.0/24')" // 192.0.2.10
      await db.sql(insert, [net.id + 1000]) // filed before the network was deleted by hand and added again
      await db.sql(insert, [net.id])
      const [old, current] = (await db.sql('SELECT id FROM ip_request ORDER BY id')).map((r) => Number(r.id))
      const {applied} = await migrate(db.pool)
      expect(applied).toContain(3)
      expect(await getRequest(db.pool, old)).toMatchObject({status: 'REJECTED', orphaned: true})
      expect((await getRequest(db.pool, old)).reason).toContain('network removed')
      expect((await getRequest(db.pool, current)).status).toBe('PENDING')
      const e = await db.sql(insert, [net.id + 2000]).catch((error) => error)
      expect(e.errno).toBe(1062)
    } finally {
      await db.drop()
    }
  })
})

describe('approvals that would contradict each other', () => {
  let db: TestDatabase
  beforeEach(async () => {
    db = await freshDatabase('approvals')
    await addNetwork(db.pool, {cidr: '192.0.2.0/24'})
    await addNetwork(db.pool, {cidr: '192.0.2.0/25'})
  })
  afterEach(async () => {
    await db.drop()
  })

  it('two anonymous requests for one address (one filed before a nested network existed): the second approval is refused, naming the holder', async () => {
    await db.sql('DELETE FROM ipnet WHERE cidr = ?', ['192.0.2.0/25'])
    const first = (await submitRequest(db.pool, {ip: '192.0.2.30'})).request
    await addNetwork(db.pool, {cidr: '192.0.2.0/25'})
    const second = (await submitRequest(db.pool, {ip: '192.0.2.30'})).request
    expect([first.network, second.network]).toEqual(['192.0.2.0/24', '192.0.2.0/25'])
    expect(((await approveMany(db.pool, [String(first.id)])).decisions)[0].ok).toBe(true)
    const [d] = (await approveMany(db.pool, [String(second.id)])).decisions
    expect(d).toMatchObject({ok: false, kind: 'conflict', code: 'address_taken'})
    expect(d.message).toBe(`192.0.2.30 is already USED to anonymous (request #${first.id}); request #${second.id} stays PENDING`)
    expect((await getRequest(db.pool, second.id)).status).toBe('PENDING')
  })

  it('two requests for one address approved in one batch: the first wins, the second is refused', async () => {
    await db.sql('DELETE FROM ipnet WHERE cidr = ?', ['192.0.2.0/25'])
    const first = (await submitRequest(db.pool, {ip: '192.0.2.31'})).request
    await addNetwork(db.pool, {cidr: '192.0.2.0/25'})
    const second = (await submitRequest(db.pool, {ip: '192.0.2.31'})).request
    const [a, b] = (await approveMany(db.pool, [String(first.id), String(second.id)])).decisions
    expect(a.ok).toBe(true)
    expect(b).toMatchObject({ok: false, code: 'address_taken'})
    expect(b.message).toContain(`request #${first.id}`)
    expect(await db.sql('SELECT COUNT(*) AS n FROM ip')).toEqual([{n: '1'}])
  })

  it('ips allocate <ip> of an address with a PENDING request is refused naming the request; --force rejects the request and tells its requester', async () => {
    const r = (await submitRequest(db.pool, {ip: '192.0.2.40', email: 'carol@example.com'})).request
    const e = await refusal(allocate(db.pool, {address: '192.0.2.40', assignedTo: 'dave'}))
    expect(e.kind).toBe('conflict')
    expect(e.message).toContain(`PENDING request #${r.id}`)
    expect(await db.sql('SELECT COUNT(*) AS n FROM ip')).toEqual([{n: '0'}])
    const before = Number((await db.sql('SELECT COALESCE(MAX(id), 0) AS id FROM ipam_outbox'))[0].id)
    const done = await allocate(db.pool, {address: '192.0.2.40', assignedTo: 'dave', force: true})
    expect(done.rejectedRequests).toEqual([r.id])
    const after = await getRequest(db.pool, r.id)
    expect(after.status).toBe('REJECTED')
    expect(after.reason).toContain('allocated to dave')
    const mail = await db.sql('SELECT kind, recipient FROM ipam_outbox WHERE id > ?', [before])
    expect(mail).toEqual([{kind: 'request.rejected', recipient: 'carol@example.com'}])
    // and the rejected request cannot be approved over dave
    expect(((await approveMany(db.pool, [String(r.id)])).decisions)[0]).toMatchObject({ok: false, code: 'already_decided'})
  })
})

describe('deciding many requests at once queues a message for each requester', () => {
  let db: TestDatabase
  beforeEach(async () => {
    db = await freshDatabase('many_decisions')
    await addNetwork(db.pool, {cidr: '198.18.0.0/22'})
  })
  afterEach(async () => {
    await db.drop()
  })

  it('approving 700 and rejecting 300 (more than one multi-row INSERT of messages) returns the id of each message, matching its request', async () => {
    const requests = []
    for (let n = 1; n <= 1000; n++) requests.push((await submitRequest(db.pool, {ip: `198.18.${n >> 8}.${n & 255}`, email: `user${n}@example.com`})).request)
    const ids = requests.map((r) => String(r.id))
    const approved = await approveMany(db.pool, ids.slice(0, 700))
    const rejected = await rejectMany(db.pool, ids.slice(700), 'no room')
    for (const [decided, queued, kind] of [[700, approved.queued, 'request.approved'], [300, rejected.queued, 'request.rejected']] as const) {
      expect(queued).toHaveLength(decided)
      expect(new Set(queued).size).toBe(decided)
      const rows = await db.sql('SELECT id, kind, recipient, subject FROM ipam_outbox WHERE id IN (?)', [queued])
      expect(rows).toHaveLength(decided)
      const byId = new Map(rows.map((r: any) => [Number(r.id), r]))
      for (const id of queued) {
        const row: any = byId.get(id)
        expect(row.kind).toBe(kind)
        const request = requests.find((r) => row.subject.includes(`#${r.id} `))!
        expect(row.recipient).toBe(request.email)
      }
    }
  })
})
