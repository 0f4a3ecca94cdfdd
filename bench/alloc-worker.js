// One of the concurrency scenario's processes: N next-free allocations, one at a
// time. Prints the addresses it got and how long each allocation took (its
// transaction holds the pool's row lock from its first statement to COMMIT).
import {performance} from 'node:perf_hooks'

import {openDatabase} from '../dist/src/db/connect.js'
import {parseDbUrl} from '../dist/src/db/url.js'
import {allocate} from '../dist/src/space/addresses.js'

const [url, pool, n] = process.argv.slice(2)
const db = await openDatabase(parseDbUrl(url))
const addresses = []
const ms = []
try {
  for (let i = 0; i < Number(n); i++) {
    const t0 = performance.now()
    addresses.push((await allocate(db.pool, {pool})).addresses[0].address)
    ms.push(performance.now() - t0)
  }
} finally {
  await db.close()
}
process.stdout.write(`${JSON.stringify({addresses, ms})}\n`)
