// A process of the load test: N next-free allocations from one pool, one
// transaction each, through the built code; prints what each attempt got.
import {openDatabase} from '../../dist/src/db/connect.js'
import {parseDbUrl} from '../../dist/src/db/url.js'
import {allocate} from '../../dist/src/space/addresses.js'
import {exitCodeOf} from '../../dist/src/cli/errors.js'

const [url, pool, n] = process.argv.slice(2)
const db = await openDatabase(parseDbUrl(url))
const results = []
try {
  for (let i = 0; i < Number(n); i++) {
    try {
      results.push({address: (await allocate(db.pool, {pool})).addresses[0].address})
    } catch (error) {
      results.push({exit: exitCodeOf(error.kind), code: error.code ?? String(error.errno ?? ''), message: error.message})
    }
  }
} finally {
  await db.close()
}
process.stdout.write(`${JSON.stringify(results)}\n`)
