import {readFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freshDatabase, type TestDatabase} from '../support/db.js'
import {tableChecksums} from '../support/checksums.js'
import {checkHostname, checkMac} from '../../src/net/hostmac.js'
import {allocate} from '../../src/space/addresses.js'
import {setAddress, setNetwork, setPool} from '../../src/space/edit.js'
import {addNetwork} from '../../src/space/networks.js'
import {addPool} from '../../src/space/pools.js'
import {search} from '../../src/space/search.js'
import {addressHistory, networkHistory, poolHistory} from '../../src/admin/history.js'

type Entry = string | [string, number][]
const raw = JSON.parse(readFileSync(new URL('../hostile/corpus.json', import.meta.url), 'utf8')) as Record<string, Entry[] | string>
const expand = (e: Entry) => (typeof e === 'string' ? e : e.map(([t, n]) => t.repeat(n)).join(''))
const inputs = Object.values(raw).filter(Array.isArray).flatMap((v) => (v as Entry[]).map(expand))
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/

/** Runs fn: it returns, or throws a usage / not-found error whose message shows no raw control character. */
async function calm(fn: () => unknown, input: string): Promise<'ok' | 'refused'> {
  try {
    await fn()
    return 'ok'
  } catch (error) {
    expect(['usage', 'not-found', 'conflict'], `${JSON.stringify(input)}: ${(error as Error).message}`).toContain((error as {kind?: string}).kind)
    expect((error as Error).message).not.toMatch(CONTROL)
    return 'refused'
  }
}

describe('hostile input to hostname, MAC, edit, search and history', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase('hostile_edit')
    await addNetwork(db.pool, {cidr: '10.0.0.0/24', name: 'lan'})
    await addPool(db.pool, {name: 'office'})
    await allocate(db.pool, {address: '10.0.0.77'})
  })
  afterAll(() => db.drop())

  it(`hostname and MAC checks accept only clean values (${inputs.length} inputs)`, () => {
    for (const input of inputs) {
      for (const check of [checkHostname, checkMac]) {
        try {
          const value = check(input)
          expect(value, JSON.stringify(input)).toMatch(/^[a-z0-9.:-]+$/)
        } catch (error) {
          expect((error as {kind?: string}).kind).toBe('usage')
          expect((error as Error).message).not.toMatch(CONTROL)
        }
      }
    }
  })

  it('set commands refuse every hostile value without changing anything', async () => {
    const before = await tableChecksums(db)
    for (const input of inputs) {
      if (input.trim() === '') continue
      await calm(() => setNetwork(db.pool, input, {note: 'x'}), input)
      await calm(() => setPool(db.pool, input, {note: 'x'}), input)
      await calm(() => setAddress(db.pool, input, {description: 'x'}), input)
      // hostname and MAC on a real address: only a valid value may land
      if ((await calm(() => setAddress(db.pool, '10.0.0.77', {hostname: input}), input)) === 'ok') expect(checkHostname(input)).toBeTruthy()
      if ((await calm(() => setAddress(db.pool, '10.0.0.77', {mac: input}), input)) === 'ok') expect(checkMac(input)).toBeTruthy()
      await calm(() => setAddress(db.pool, '10.0.0.77', {clear: [input]}), input)
    }
    // Only 10.0.0.77's hostname and MAC may have changed (to valid values), with their audit rows.
    const keep = (t: Record<string, string>) => Object.fromEntries(Object.entries(t).filter(([k]) => !['ip', 'ipam_audit', 'ipam_audit_span'].includes(k)))
    expect(keep(await tableChecksums(db))).toEqual(keep(before))
    const rows = await db.sql('SELECT addr, status, assigned_to, description FROM ip')
    expect(rows).toEqual([{addr: '167772237', status: 'ALLOCATED', assigned_to: null, description: null}])
  })

  it('search and history answer every hostile text with a result or a usage/not-found error', async () => {
    for (const input of inputs) {
      await calm(() => search(db.pool, input), input)
      await calm(() => addressHistory(db.pool, input), input)
      await calm(() => networkHistory(db.pool, input), input)
      await calm(() => poolHistory(db.pool, input), input)
    }
  })
})
