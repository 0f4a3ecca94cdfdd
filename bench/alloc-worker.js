// One of the concurrency scenario's processes: N next-free allocations, one at a time.
import {openDatabase} from '../dist/src/db/connect.js'
import {parseDbUrl} from '../dist/src/db/url.js'
import {allocate} from '../dist/src/space/addresses.js'

const [url, pool, n] = process.argv.slice(2)
const db = await openDatabase(parseDbUrl(url))
const got = []
try {
  for (let i = 0; i < Number(n); i++) got.push((await allocate(db.pool, {pool})).addresses[0].address)
} finally {
  await db.close()
}
process.stdout.write(`${JSON.stringify(got)}\n`)
