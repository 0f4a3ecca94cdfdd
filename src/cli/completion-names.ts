import type {Pool} from 'mysql2/promise'

import {listPools} from '../space/pools.js'
import {listNetworks} from '../space/networks.js'
import {listRequests} from '../requests/requests.js'

/** What a shell offers on Tab: pool names, network CIDRs and names, pending request ids (no names with spaces). */
export async function completionNames(pool: Pool, kind: 'pools' | 'networks' | 'requests'): Promise<string[]> {
  let names: string[]
  if (kind === 'pools') names = (await listPools(pool)).map((p) => p.name)
  else if (kind === 'networks') names = (await listNetworks(pool)).flatMap((n) => [n.cidr, ...(n.name ? [n.name] : [])])
  else names = (await listRequests(pool, {status: 'PENDING', limit: 1000})).map((r) => String(r.id))
  return [...new Set(names)].filter((n) => n !== '' && !/\s/.test(n))
}
