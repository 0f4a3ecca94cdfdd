import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {findConflicts} from '../../src/integration/conflicts.js'
import {lockForJoin} from '../../src/integration/state.js'
import {addNetwork} from '../../src/space/networks.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'

/** Polls until `check` holds (no fixed sleeps), failing after `ms`. */
async function until(check: () => Promise<boolean>, what: string, ms = 20_000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    // not faster: InnoDB refreshes information_schema.innodb_trx only when it was not read for 100 ms
    await new Promise((r) => setTimeout(r, 150))
  }
}

describe("the 'networks' lock serialises networks add with a platform joining", () => {
  let master: TestDatabase
  let platform: TestDatabase
  beforeAll(async () => {
    ;[master, platform] = await Promise.all([freshDatabase('lock_master'), freshDatabase('lock_platform')])
    await addNetwork(platform.pool, {cidr: '10.20.0.0/16'})
  })
  afterAll(async () => Promise.all([master.drop(), platform.drop()]))

  it('a network nested under one being copied waits for the copy, and cannot slip in after its last conflict check', async () => {
    // Setup's copy transaction on the master: take the join locks, then check for conflicts one last time.
    const copy = await master.pool.getConnection()
    let added: Promise<unknown> | undefined
    try {
      await copy.beginTransaction()
      await lockForJoin(copy)
      let settled = false
      added = addNetwork(master.pool, {cidr: '10.20.5.0/24'}).finally(() => (settled = true))
      // networks add is now waiting on the lock row (on a build without the lock it commits at once)
      const lockWaits = async () => Number((await master.sql("SELECT COUNT(*) AS n FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'"))[0].n) > 0
      await until(async () => settled || (await lockWaits()), 'networks add to wait on the lock or finish')
      expect(settled, 'networks add committed while a join held the networks lock').toBe(false)
      // the nested network is not there for the copy's last check, nor could it be committed before the copy
      expect(await findConflicts(platform.pool, copy)).toEqual([])
      await copy.query("INSERT INTO ipnet (family, network, broadcast, prefix, cidr) VALUES (4, 169082880, 169148415, 16, '10.20.0.0/16')")
      await copy.commit()
    } finally {
      copy.release()
    }
    // after the join commits, the add goes ahead: both exist, nested, as on any master
    await added
    expect((await master.sql('SELECT cidr FROM ipnet ORDER BY prefix')).map((r: any) => r.cidr)).toEqual(['10.20.0.0/16', '10.20.5.0/24'])
  })
})
