import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../src/cli/db-command.js'
import {search, SEARCH_TYPES, type SearchType} from '../src/space/search.js'

export default class Search extends DbCommand<typeof Search> {
  static override summary = 'Find networks, pools, addresses and requests by address, name, note, description, assigned-to, hostname, MAC or e-mail'
  static override description = `An address or CIDR finds the networks and pools that contain it and the addresses and requests inside it. Other text finds networks and pools by name, note, location (anywhere in the text) and VLAN, requests by e-mail, description, requester or region (anywhere), and addresses by the prefix rule: the start of assigned-to, hostname, description or MAC (in any notation) — each answered by an index, so a search stays fast on millions of addresses.`
  static override examples = [
    '<%= config.bin %> search printer-3',
    '<%= config.bin %> search 192.0.2.50',
    '<%= config.bin %> search 10.1.0.0/16 --type networks',
    '<%= config.bin %> search 00:1a:2b --type ips --limit 100 --json',
  ]
  static override args = {text: Args.string({required: true, description: 'an address, a CIDR, or text'})}
  static override flags = {
    type: Flags.string({options: [...SEARCH_TYPES], multiple: true, description: 'only these kinds of objects (repeatable)'}),
    limit: Flags.integer({default: 20, min: 1, max: 10_000, description: 'at most this many of each kind'}),
  }

  public async run() {
    const db = (await this.session()).target
    const r = await search(db.pool, this.args.text, {types: this.flags.type as SearchType[] | undefined, limit: this.flags.limit})
    if (!this.json) {
      const more = (t: SearchType) => (r.truncated.includes(t) ? ` (first ${this.flags.limit}; more with --limit)` : '')
      const parts: string[] = []
      if (r.networks.length > 0) parts.push(`Networks${more('networks')}\n${this.table(['ID', 'CIDR', 'Name', 'Gateway', 'VLAN', 'Note'], r.networks.map((n) => [n.id, n.cidr, n.name, n.gateway, n.vlan, n.note]))}`)
      if (r.pools.length > 0) parts.push(`Pools${more('pools')}\n${this.table(['ID', 'Name', 'Locations', 'Note'], r.pools.map((p) => [p.id, p.name, p.locations.join(', '), p.note]))}`)
      if (r.ips.length > 0) parts.push(`Addresses${more('ips')}\n${this.table(['Address', 'Status', 'Assigned to', 'Hostname', 'MAC', 'Description'], r.ips.map((a) => [a.address, a.status, a.assignedTo, a.hostname, a.mac, a.description]))}`)
      if (r.requests.length > 0) parts.push(`Requests${more('requests')}\n${this.table(['ID', 'IP', 'Network', 'Email', 'Status', 'Description'], r.requests.map((q) => [q.id, q.ip, q.network, q.email, q.status, q.description]))}`)
      if (parts.length === 0) this.note(`Nothing matches ${JSON.stringify(r.query)}.`)
      else this.out(parts.join('\n\n'))
    }
    return r
  }
}
