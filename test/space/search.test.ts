import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freshDatabase, type TestDatabase} from '../support/db.js'
import {allocate, listAddresses} from '../../src/space/addresses.js'
import {addNetwork} from '../../src/space/networks.js'
import {addPool} from '../../src/space/pools.js'
import {addRange} from '../../src/space/ranges.js'
import {search} from '../../src/space/search.js'
import {submitRequest} from '../../src/requests/requests.js'

const all = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe('search', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase('search')
    await addNetwork(db.pool, {cidr: '10.0.0.0/16', name: 'campus'})
    await addNetwork(db.pool, {cidr: '10.0.1.0/24', name: 'printers', note: 'floor 3 printers', vlan: 33, locations: ['paris']})
    await addNetwork(db.pool, {cidr: '2001:db8::/64', name: 'v6-lab'})
    await addPool(db.pool, {name: 'printer-pool', note: 'for printers'})
    await addRange(db.pool, 'printer-pool', '10.0.1.10-10.0.1.50')
    await allocate(db.pool, {address: '10.0.1.20', assignedTo: 'printer-3', hostname: 'printer-3.example.com', mac: '00:1a:2b:3c:4d:5e', description: 'HP in room 301'})
    await allocate(db.pool, {address: '10.0.1.21', assignedTo: 'alice', hostname: 'alice-pc.example.com', mac: '00:1a:2b:00:00:01'})
    await allocate(db.pool, {address: '2001:db8::10', assignedTo: 'lab-box'})
    await submitRequest(db.pool, {ip: '10.0.1.30', email: 'Printer.Admin@example.com', description: 'new printer'})
  })
  afterAll(() => db.drop())

  it('finds by an address what contains it and the address itself', async () => {
    const r = await search(db.pool, '10.0.1.20')
    expect(r.as).toBe('address')
    expect(r.networks.map((n) => n.cidr)).toEqual(['10.0.0.0/16', '10.0.1.0/24'])
    expect(r.pools.map((p) => p.name)).toEqual(['printer-pool'])
    expect(r.ips.map((a) => a.address)).toEqual(['10.0.1.20'])
    expect(r.requests).toEqual([])
  })

  it('finds by a CIDR what contains it and what it contains', async () => {
    const r = await search(db.pool, '10.0.1.0/25')
    expect(r.as).toBe('cidr')
    expect(r.networks.map((n) => n.cidr)).toEqual(['10.0.0.0/16', '10.0.1.0/24'])
    expect(r.ips.map((a) => a.address)).toEqual(['10.0.1.20', '10.0.1.21'])
    expect(r.requests.map((q) => q.ip)).toEqual(['10.0.1.30'])
    const wide = await search(db.pool, '10.0.0.0/8', {types: ['networks']})
    expect(wide.networks.map((n) => n.cidr)).toEqual(['10.0.0.0/16', '10.0.1.0/24'])
    expect(wide.ips).toEqual([])
  })

  it('finds "printer" in names, notes, hostnames, assigned-to and e-mails, case-insensitively', async () => {
    const r = await search(db.pool, 'PRINTER')
    expect(r.as).toBe('text')
    expect(r.networks.map((n) => n.cidr)).toEqual(['10.0.1.0/24'])
    expect(r.pools.map((p) => p.name)).toEqual(['printer-pool'])
    expect(r.ips.map((a) => [a.address, a.network])).toEqual([['10.0.1.20', '10.0.1.0/24']])
    expect(r.requests.map((q) => q.email)).toEqual(['printer.admin@example.com'])
  })

  it('finds addresses by the start of hostname or description (not the middle) and by MAC in any notation', async () => {
    expect((await search(db.pool, 'alice-pc.example', {types: ['ips']})).ips.map((a) => a.address)).toEqual(['10.0.1.21'])
    expect((await search(db.pool, '001A.2B3C', {types: ['ips']})).ips.map((a) => a.address)).toEqual(['10.0.1.20'])
    expect((await search(db.pool, 'hp in room', {types: ['ips']})).ips.map((a) => a.address)).toEqual(['10.0.1.20'])
    expect((await search(db.pool, 'room 301', {types: ['ips']})).ips).toEqual([])
    expect((await search(db.pool, '00-1a-2b', {types: ['ips']})).ips.map((a) => a.address)).toEqual(['10.0.1.20', '10.0.1.21'])
  })

  it('finds networks by VLAN and location, and takes LIKE wildcards literally', async () => {
    expect((await search(db.pool, '33', {types: ['networks']})).networks.map((n) => n.cidr)).toEqual(['10.0.1.0/24'])
    expect((await search(db.pool, 'paris', {types: ['networks']})).networks.map((n) => n.cidr)).toEqual(['10.0.1.0/24'])
    expect((await search(db.pool, '%')).ips).toEqual([])
    expect((await search(db.pool, 'a_ice')).ips).toEqual([])
  })

  it('limits each kind and says which were cut', async () => {
    const r = await search(db.pool, '00:1a', {types: ['ips'], limit: 1})
    expect(r.ips).toHaveLength(1)
    expect(r.truncated).toEqual(['ips'])
    await expect(search(db.pool, '  ')).rejects.toMatchObject({kind: 'usage'})
    await expect(search(db.pool, 'x', {limit: 0})).rejects.toMatchObject({kind: 'usage'})
  })

  it('filters ips list by exact assigned-to, by hostname (and names under it) and by the prefix rule', async () => {
    expect((await all(listAddresses(db.pool, {assignedTo: 'ALICE'}))).map((a) => a.address)).toEqual(['10.0.1.21'])
    expect((await all(listAddresses(db.pool, {assignedTo: 'ali'}))).map((a) => a.address)).toEqual([])
    expect((await all(listAddresses(db.pool, {hostname: 'printer-3'}))).map((a) => a.address)).toEqual(['10.0.1.20'])
    expect((await all(listAddresses(db.pool, {hostname: 'printer-3.example.com'}))).map((a) => a.address)).toEqual(['10.0.1.20'])
    expect((await all(listAddresses(db.pool, {search: 'lab'}))).map((a) => a.address)).toEqual(['2001:db8::10'])
    expect((await all(listAddresses(db.pool, {search: '00:1a:2b', network: '10.0.0.0/16'}))).map((a) => a.address)).toEqual(['10.0.1.20', '10.0.1.21'])
    await expect(all(listAddresses(db.pool, {hostname: 'bad_name'}))).rejects.toMatchObject({kind: 'usage'})
  })
})
