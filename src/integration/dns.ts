import {promises as dns} from 'node:dns'
import {isIP} from 'node:net'

import {usage} from '../errors.js'
import {type DbUrl, maskedUrl} from '../db/url.js'

export type CnameResolver = (host: string) => Promise<string[]>

/** The system resolver (tests inject their own `CnameResolver` where a resolver is taken). */
export function systemCnameResolver(): CnameResolver {
  return async (host) => {
    try {
      return await dns.resolveCname(host)
    } catch {
      // NODATA / NOTFOUND: no CNAME (an unknown host fails later, on connect)
      return []
    }
  }
}

/** The hosts of a URL that are DNS aliases. IP literals and localhost are never looked up. */
export async function cnameHosts(hosts: string[], resolve: CnameResolver): Promise<{host: string; target: string}[]> {
  const out: {host: string; target: string}[] = []
  for (const host of hosts) {
    if (isIP(host) || host === 'localhost') continue
    const names = await resolve(host)
    if (names.length > 0) out.push({host, target: names[0]})
  }
  return out
}

/**
 * Refuses a master host that is a DNS alias (checked before connecting to it,
 * by `integration check` and `integration setup` alike).
 */
export async function refuseCnames(url: DbUrl, resolver: CnameResolver): Promise<void> {
  const aliases = await cnameHosts(url.hosts.map((h) => h.host), resolver)
  if (aliases.length > 0) {
    const a = aliases[0]
    throw usage(`the master host ${a.host} is a DNS alias (CNAME for ${a.target}); redirects are not supported`, `use the real host name: --master ${maskedUrl({...url, hosts: url.hosts.map((h) => (h.host === a.host ? {...h, host: a.target} : h))})}`)
  }
}
