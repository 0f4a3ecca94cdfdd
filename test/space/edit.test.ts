import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freshDatabase, type TestDatabase} from '../support/db.js'
import {allocate} from '../../src/space/addresses.js'
import {setAddress, setNetwork, setPool} from '../../src/space/edit.js'
import {addNetwork} from '../../src/space/networks.js'
import {addPool} from '../../src/space/pools.js'
import {addRange} from '../../src/space/ranges.js'
import {removeUser, setUser} from '../../src/admin/useredit.js'
import {createUser, verifyPassword} from '../../src/admin/users.js'

const auditRows = (db: TestDatabase, action: string) => db.sql(`SELECT object_id, detail FROM ipam_audit WHERE action = ? ORDER BY id`, [action])
const detailOf = (row: any) => (typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail)

/** Runs `fn`, expecting an IpamError of this kind; returns its message. */
async function refused(fn: () => Promise<unknown>, kind: string): Promise<string> {
  try {
    await fn()
  } catch (error) {
    expect((error as {kind?: string}).kind, (error as Error).message).toBe(kind)
    return (error as Error).message
  }
  throw new Error('expected a refusal')
}

describe('editing networks in place', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase('edit_net')
    await addNetwork(db.pool, {cidr: '10.1.0.0/24', name: 'lan', gateway: '10.1.0.1', vlan: 10, note: 'first floor', locations: ['paris']})
    await allocate(db.pool, {address: '10.1.0.77', assignedTo: 'alice'})
  })
  afterAll(() => db.drop())

  it('changes name, gateway, VLAN, locations and note, with one audit row holding old and new', async () => {
    const net = await setNetwork(db.pool, '10.1.0.0/24', {name: 'office-lan', gateway: '10.1.0.254', vlan: 20, locations: ['lyon', 'nice'], note: 'moved'})
    expect(net).toMatchObject({cidr: '10.1.0.0/24', name: 'office-lan', gateway: '10.1.0.254', vlan: 20, locations: ['lyon', 'nice'], note: 'moved', changed: true})
    const rows = await auditRows(db, 'networks.set')
    expect(rows).toHaveLength(1)
    expect(detailOf(rows[0]).changes).toEqual({
      name: {old: 'lan', new: 'office-lan'},
      gateway: {old: '10.1.0.1', new: '10.1.0.254'},
      vlan: {old: 10, new: 20},
      locations: {old: ['paris'], new: ['lyon', 'nice']},
      note: {old: 'first floor', new: 'moved'},
    })
  })

  it('clears optional fields with --clear and writes nothing when nothing changes', async () => {
    const net = await setNetwork(db.pool, '10.1.0.0/24', {clear: ['gateway', 'note', 'location', 'vlan', 'name']})
    expect(net).toMatchObject({name: null, gateway: null, vlan: null, note: null, locations: [], changed: true})
    const again = await setNetwork(db.pool, '10.1.0.0/24', {clear: ['gateway']})
    expect(again.changed).toBe(false)
    expect(await auditRows(db, 'networks.set')).toHaveLength(2)
  })

  it('refuses a gateway outside, unusable or allocated, naming it, and changes nothing', async () => {
    const before = await db.sql('SELECT * FROM ipnet')
    expect(await refused(() => setNetwork(db.pool, '10.1.0.0/24', {gateway: '10.2.0.1'}), 'usage')).toContain('10.2.0.1 is outside 10.1.0.0/24')
    expect(await refused(() => setNetwork(db.pool, '10.1.0.0/24', {gateway: '10.1.0.255'}), 'usage')).toContain('10.1.0.255')
    expect(await refused(() => setNetwork(db.pool, '10.1.0.0/24', {gateway: '10.1.0.77', name: 'x'}), 'conflict')).toMatch(/10\.1\.0\.77 is already ALLOCATED to alice/)
    expect(await refused(() => setNetwork(db.pool, '10.1.0.0/24', {gateway: 'fe80::1'}), 'usage')).toContain('fe80::1')
    expect(await db.sql('SELECT * FROM ipnet')).toEqual(before)
  })

  it('refuses an empty value, a bad VLAN, a field both set and cleared, an unknown field, and no change at all', async () => {
    expect(await refused(() => setNetwork(db.pool, '10.1.0.0/24', {name: ''}), 'usage')).toContain('--name is empty')
    expect(await refused(() => setNetwork(db.pool, '10.1.0.0/24', {vlan: 5000}), 'usage')).toContain('5000')
    expect(await refused(() => setNetwork(db.pool, '10.1.0.0/24', {name: 'a', clear: ['name']}), 'usage')).toContain('contradict')
    expect(await refused(() => setNetwork(db.pool, '10.1.0.0/24', {clear: ['cidr']}), 'usage')).toContain('"cidr"')
    expect(await refused(() => setNetwork(db.pool, '10.1.0.0/24', {}), 'usage')).toContain('nothing to change')
    expect(await refused(() => setNetwork(db.pool, '10.9.0.0/24', {name: 'x'}), 'not-found')).toContain('10.9.0.0/24')
  })

  it('keeps both of two simultaneous edits of different fields (no lost update)', async () => {
    for (let i = 0; i < 5; i++) {
      await Promise.all([setNetwork(db.pool, '10.1.0.0/24', {name: `n${i}`}), setNetwork(db.pool, '10.1.0.0/24', {note: `note ${i}`})])
      const [row] = await db.sql("SELECT name, note FROM ipnet WHERE cidr = '10.1.0.0/24'")
      expect(row).toEqual({name: `n${i}`, note: `note ${i}`})
    }
  })
})

describe('editing pools in place', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase('edit_pool')
    await addPool(db.pool, {name: 'office', note: 'n', locations: ['paris']})
    await addPool(db.pool, {name: 'lab'})
  })
  afterAll(() => db.drop())

  it('renames a pool and changes its locations and note, audited old -> new', async () => {
    const p = await setPool(db.pool, 'office', {name: 'office-paris', locations: ['paris', 'lyon'], note: 'two sites'})
    expect(p).toMatchObject({name: 'office-paris', locations: ['paris', 'lyon'], note: 'two sites', changed: true})
    const [row] = await auditRows(db, 'pools.set')
    expect(detailOf(row).changes).toEqual({name: {old: 'office', new: 'office-paris'}, locations: {old: ['paris'], new: ['paris', 'lyon']}, note: {old: 'n', new: 'two sites'}})
  })

  it('refuses a name another pool has (exit-4 conflict) and a numeric name, changing nothing', async () => {
    const before = await db.sql('SELECT * FROM ippool ORDER BY id')
    expect(await refused(() => setPool(db.pool, 'lab', {name: 'office-paris'}), 'conflict')).toContain('"office-paris"')
    expect(await refused(() => setPool(db.pool, 'lab', {name: '42'}), 'usage')).toContain('42')
    expect(await refused(() => setPool(db.pool, 'lab', {clear: ['name']}), 'usage')).toContain('"name"')
    expect(await db.sql('SELECT * FROM ippool ORDER BY id')).toEqual(before)
  })

  it('of two processes renaming two pools to one name at once, one wins and the other is a conflict', async () => {
    await addPool(db.pool, {name: 'a1'})
    await addPool(db.pool, {name: 'a2'})
    const results = await Promise.allSettled([setPool(db.pool, 'a1', {name: 'same'}), setPool(db.pool, 'a2', {name: 'same'})])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(failed.reason.kind).toBe('conflict')
  })
})

describe('editing addresses in place', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase('edit_ip')
    await addNetwork(db.pool, {cidr: '192.0.2.0/24'})
    await addPool(db.pool, {name: 'p'})
    await addRange(db.pool, 'p', '192.0.2.10-192.0.2.20')
    await allocate(db.pool, {address: '192.0.2.50', assignedTo: 'alice', assignType: 'USER', description: 'desk'})
  })
  afterAll(() => db.drop())

  it('changes status, assignment, description, hostname and MAC without releasing the row', async () => {
    const [{id, created_at}] = await db.sql("SELECT id, created_at FROM ip WHERE addr = INET_ATON('192.0.2.50')")
    const a = await setAddress(db.pool, '192.0.2.50', {status: 'used', assignedTo: 'bob', assignType: 'server', description: 'rack 3', hostname: 'Printer-3.Example.com', mac: '00-1A-2B-3C-4D-5E'})
    expect(a).toMatchObject({address: '192.0.2.50', status: 'USED', assignedTo: 'bob', assignType: 'SERVER', description: 'rack 3', hostname: 'printer-3.example.com', mac: '00:1a:2b:3c:4d:5e', network: '192.0.2.0/24', changed: true})
    const [row] = await db.sql("SELECT id, created_at, hostname, mac FROM ip WHERE addr = INET_ATON('192.0.2.50')")
    expect(row).toEqual({id, created_at, hostname: 'printer-3.example.com', mac: '00:1a:2b:3c:4d:5e'})
    const [audit] = await auditRows(db, 'ips.set')
    expect(audit.object_id).toBe('192.0.2.50')
    expect(detailOf(audit).changes).toMatchObject({status: {old: 'ALLOCATED', new: 'USED'}, assignedTo: {old: 'alice', new: 'bob'}, hostname: {old: null, new: 'printer-3.example.com'}, mac: {old: null, new: '00:1a:2b:3c:4d:5e'}})
  })

  it('clears optional fields; status cannot be cleared', async () => {
    const a = await setAddress(db.pool, '192.0.2.50', {clear: ['mac', 'description', 'assign-type']})
    expect(a).toMatchObject({mac: null, description: null, assignType: null, hostname: 'printer-3.example.com'})
    expect(await refused(() => setAddress(db.pool, '192.0.2.50', {clear: ['status']}), 'usage')).toContain('"status"')
  })

  it('refuses a bad status, hostname or MAC and a free address, naming the value, changing nothing', async () => {
    const before = await db.sql('SELECT * FROM ip')
    expect(await refused(() => setAddress(db.pool, '192.0.2.50', {status: 'BROKEN'}), 'usage')).toContain('"BROKEN"')
    expect(await refused(() => setAddress(db.pool, '192.0.2.50', {hostname: 'bad_name', status: 'RESERVED'}), 'usage')).toContain('"bad_name"')
    expect(await refused(() => setAddress(db.pool, '192.0.2.50', {mac: '00:11:22', status: 'RESERVED'}), 'usage')).toContain('"00:11:22"')
    expect(await refused(() => setAddress(db.pool, '192.0.2.51', {status: 'USED'}), 'not-found')).toContain('192.0.2.51 is not allocated')
    expect(await refused(() => setAddress(db.pool, '192.0.2.500', {status: 'USED'}), 'usage')).toContain('192.0.2.500')
    expect(await db.sql('SELECT * FROM ip')).toEqual(before)
  })

  it('keeps both of two simultaneous edits of one address (row lock, no lost update)', async () => {
    for (let i = 0; i < 5; i++) {
      await Promise.all([setAddress(db.pool, '192.0.2.50', {description: `d${i}`}), setAddress(db.pool, '192.0.2.50', {hostname: `h${i}.example.com`})])
      const [row] = await db.sql("SELECT description, hostname FROM ip WHERE addr = INET_ATON('192.0.2.50')")
      expect(row).toEqual({description: `d${i}`, hostname: `h${i}.example.com`})
    }
  })

  it('allocates with a hostname and MAC, checked the same way', async () => {
    const r = await allocate(db.pool, {pool: 'p', hostname: 'VM1.example.com', mac: '0011.2233.4455'})
    expect(r.addresses[0]).toMatchObject({address: '192.0.2.10', hostname: 'vm1.example.com', mac: '00:11:22:33:44:55'})
    expect(await refused(() => allocate(db.pool, {pool: 'p', mac: 'nope'}), 'usage')).toContain('"nope"')
  })
})

describe('editing and removing users', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase('edit_user')
    await createUser(db.pool, {email: 'root@example.com', password: 'first-password', admin: true})
    await createUser(db.pool, {email: 'ops@example.com', admin: true})
    await createUser(db.pool, {email: 'guest@example.com'})
  })
  afterAll(() => db.drop())

  it('sets a new password, audited without the hash', async () => {
    const u = await setUser(db.pool, 'root@example.com', {password: 'second-password'})
    expect(u.changed).toBe(true)
    const [row] = await db.sql("SELECT password_hash FROM auth_user WHERE email = 'root@example.com'")
    expect(await verifyPassword('second-password', row.password_hash)).toBe(true)
    const [a] = await auditRows(db, 'users.set')
    expect(JSON.stringify(a.detail)).not.toContain('scrypt')
    expect(detailOf(a).changes.password).toEqual({old: 'set', new: 'set (changed)'})
  })

  it('clears a password and demotes an admin while another admin remains', async () => {
    expect((await setUser(db.pool, 'root@example.com', {clear: ['password']})).hasPassword).toBe(false)
    const u = await setUser(db.pool, 'ops@example.com', {demote: true})
    expect(u).toMatchObject({admin: false, roles: []})
  })

  it('refuses to demote or remove the last admin (conflict), changing nothing', async () => {
    expect(await refused(() => setUser(db.pool, 'root@example.com', {demote: true}), 'conflict')).toContain('root@example.com is the last @admin')
    expect(await refused(() => removeUser(db.pool, 'root@example.com'), 'conflict')).toContain('last @admin')
    const [row] = await db.sql("SELECT roles FROM auth_user WHERE email = 'root@example.com'")
    expect(JSON.stringify(row.roles)).toContain('@admin')
  })

  it('of two admins demoting each other at once, one stays admin', async () => {
    await setUser(db.pool, 'ops@example.com', {demote: false}).catch(() => undefined)
    await db.sql(`UPDATE auth_user SET roles = '["@admin"]' WHERE email = 'ops@example.com'`)
    const results = await Promise.allSettled([setUser(db.pool, 'ops@example.com', {demote: true}), setUser(db.pool, 'root@example.com', {demote: true})])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const admins = await db.sql("SELECT email FROM auth_user WHERE JSON_CONTAINS(roles, '\"@admin\"')")
    expect(admins).toHaveLength(1)
  })

  it('removes a user, and refuses an unknown one', async () => {
    expect((await removeUser(db.pool, 'Guest@Example.com')).removed.email).toBe('guest@example.com')
    expect(await db.sql("SELECT id FROM auth_user WHERE email = 'guest@example.com'")).toEqual([])
    expect(await refused(() => removeUser(db.pool, 'guest@example.com'), 'not-found')).toContain('guest@example.com')
  })
})
