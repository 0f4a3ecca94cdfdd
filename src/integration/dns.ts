import {promises as dns} from 'node:dns'
import {isIP} from 'node:net'

export type CnameResolver = (host: string) => Promise<string[]>

/**
 * The system resolver, or, for tests, the answers in IPAM_DNS_CNAME_OVERRIDES
 * (a JSON object host -> canonical name) — the seam through which a test
 * presents a CNAME without a DNS server.
 */
export function systemCnameResolver(env: NodeJS.ProcessEnv = process.env): CnameResolver {
  let overrides: Record<string, string> = {}
  if (env.IPAM_DNS_CNAME_OVERRIDES) {
    try {
      overrides = JSON.parse(env.IPAM_DNS_CNAME_OVERRIDES)
    } catch {
      overrides = {}
    }
  }
  return async (host) => {
    if (host in overrides) return [overrides[host]]
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
