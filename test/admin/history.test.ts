import {writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freshDatabase, type TestDatabase} from '../support/db.js'
import {addressRuns, RunBuilder} from '../../src/admin/audit.js'
import {addressHistory, networkHistory, poolHistory} from '../../src/admin/history.js'
import {allocate, release} from '../../src/space/addresses.js'
import {setAddress, setNetwork, setPool} from '../../src/space/edit.js'
import {importAddresses} from '../../src/space/importexport.js'
import {addNetwork, removeNetwork} from '../../src/space/networks.js'
import {approveMany, submitRequest} from '../../src/requests/requests.js'
import {addPool} from '../../src/space/pools.js'
import {addRange, removeRange} from '../../src/space/ranges.js'

describe('address runs', () => {
  it('merges consecutive addresses per family, whatever the order', () => {
    expect(addressRuns([{family: 4, value: 5n}, {family: 4, value: 3n}, {family: 4, value: 4n}, {family: 6, value: 4n}, {family: 4, value: 9n}, {family: 4, value: 9n}])).toEqual([
      {family: 4, lo: 3n, hi: 5n},
      {family: 4, lo: 9n, hi: 9n},
      {family: 6, lo: 4n, hi: 4n},
    ])
    const b = new RunBuilder()
    for (const v of [10n, 11n, 12n, 1n, 2n, 13n]) b.add(4, v)
    expect(b.runs()).toEqual([{family: 4, lo: 1n, hi: 2n}, {family: 4, lo: 10n, hi: 13n}])
  })
})

describe('history', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase('history')
    await addNetwork(db.pool, {cidr: '10.0.0.0/24', name: 'lan'})
    await addPool(db.pool, {name: 'office'})
    await addRange(db.pool, 'office', '10.0.0.10-10.0.0.200')
  })
  afterAll(() => db.drop())

  it('shows an address allocated by --count, edited, released, oldest first, old -> new', async () => {
    await allocate(db.pool, {address: '10.0.0.12'})
    await allocate(db.pool, {pool: 'office', count: 5, assignedTo: 'batch'})
    await setAddress(db.pool, '10.0.0.13', {hostname: 'web.example.com', assignedTo: 'web'})
    await release(db.pool, ['10.0.0.11', '10.0.0.13', '10.0.0.14'])
    const h = await addressHistory(db.pool, '10.0.0.13')
    expect(h.entries.map((e) => e.action)).toEqual(['ips.allocate', 'ips.set', 'ips.release'])
    expect(h.entries[0].changes.assignedTo).toEqual({old: null, new: 'batch'})
    expect(h.entries[1].changes).toEqual({assignedTo: {old: 'batch', new: 'web'}, hostname: {old: null, new: 'web.example.com'}})
    expect(h.entries[2].changes.status).toEqual({old: 'not free', new: 'FREE'})
    expect(h.entries[0].id).toBeLessThan(h.entries[1].id)
  })

  it('does not show a batch to an address the batch skipped over', async () => {
    // 10.0.0.12 was taken before the --count batch, which took .10, .11, .13, .14, .15.
    const h = await addressHistory(db.pool, '10.0.0.12')
    expect(h.entries.map((e) => e.action)).toEqual(['ips.allocate'])
    expect((await addressHistory(db.pool, '10.0.0.199')).entries).toEqual([])
  })

  it('shows imported addresses, each in its own history', async () => {
    const file = join(tmpdir(), `hist-${process.pid}.csv`)
    await writeFile(file, '10.0.0.100,USED,imp,,\n10.0.0.101,USED,imp,,\n10.0.0.150,RESERVED,imp,,\n')
    await importAddresses(db.pool, file)
    for (const ip of ['10.0.0.100', '10.0.0.101', '10.0.0.150']) expect((await addressHistory(db.pool, ip)).entries.map((e) => e.action)).toEqual(['ips.import'])
    expect((await addressHistory(db.pool, '10.0.0.120')).entries).toEqual([])
  })

  it('shows an address removed with its range', async () => {
    await addPool(db.pool, {name: 'temp'})
    const r = await addRange(db.pool, 'temp', '10.0.0.230-10.0.0.240')
    await allocate(db.pool, {address: '10.0.0.235'})
    await removeRange(db.pool, String(r.id), {addresses: 1})
    const h = await addressHistory(db.pool, '10.0.0.235')
    expect(h.entries.map((e) => e.action)).toEqual(['ips.allocate', 'ranges.remove'])
    expect(h.entries[1].changes.range).toEqual({old: '10.0.0.230-10.0.0.240', new: null})
  })

  it('shows the requests for an address: submitted, then approved', async () => {
    const {request: q} = await submitRequest(db.pool, {ip: '10.0.0.222', email: 'carol@example.com'})
    expect((await approveMany(db.pool, [String(q.id)], 'admin')).decisions[0].ok).toBe(true)
    const h = await addressHistory(db.pool, '10.0.0.222')
    expect(h.entries.map((e) => e.action)).toEqual(['requests.submit', 'requests.approve'])
    expect(h.entries[1].changes).toMatchObject({status: {old: null, new: 'USED'}, assignedTo: {old: null, new: 'carol@example.com'}})
  })

  it('shows a network from add through edits to removal, found by CIDR once removed', async () => {
    const net = await addNetwork(db.pool, {cidr: '10.9.0.0/24', name: 'temp'})
    await setNetwork(db.pool, '10.9.0.0/24', {name: 'temp2', vlan: 9})
    await removeNetwork(db.pool, net.id, {addresses: 0, ranges: 0})
    const h = await networkHistory(db.pool, '10.9.0.0/24')
    expect(h.entries.map((e) => e.action)).toEqual(['networks.add', 'networks.set', 'networks.remove'])
    expect(h.entries[1].changes).toEqual({name: {old: 'temp', new: 'temp2'}, vlan: {old: null, new: 9}})
    await expect(networkHistory(db.pool, '10.8.0.0/24')).rejects.toMatchObject({kind: 'not-found'})
  })

  it('shows a pool across a rename, with its ranges and allocations', async () => {
    await setPool(db.pool, 'office', {name: 'office-2'})
    const h = await poolHistory(db.pool, 'office-2')
    expect(h.entries.map((e) => e.action)).toEqual(['pools.add', 'ranges.add', 'ips.allocate', 'pools.set'])
    expect(h.entries.at(-1)!.changes).toEqual({name: {old: 'office', new: 'office-2'}})
  })

  it('keeps a batch of 100000 contiguous addresses as one span row', async () => {
    await addNetwork(db.pool, {cidr: '172.16.0.0/12'})
    await addPool(db.pool, {name: 'big'})
    await addRange(db.pool, 'big', '172.16.0.1-172.17.255.254')
    await allocate(db.pool, {pool: 'big', count: 100_000})
    const [{n}] = await db.sql("SELECT COUNT(*) AS n FROM ipam_audit_span s JOIN ipam_audit a ON a.id = s.audit_id WHERE a.object_id = (SELECT id FROM ippool WHERE name = 'big')")
    expect(Number(n)).toBe(1)
    expect((await addressHistory(db.pool, '172.17.134.160')).entries.map((e) => e.action)).toEqual(['ips.allocate'])
  })
})
