import type {Pool} from 'mysql2/promise'

import type {Family} from '../net/ip.js'

export interface NetworkEntry {
  network: bigint
  broadcast: bigint
  prefix: number
  gateway: bigint | null
  cidr: string
  parent: number
}

/**
 * All networks in memory, for resolving many addresses (imports) without a
 * query per row. CIDRs nest or are disjoint, so the most specific network
 * holding an address is the last one starting at or before it, or one of
 * that one's ancestors.
 */
export class NetworkIndex {
  private byFamily = new Map<Family, NetworkEntry[]>()

  static async load(db: Pool | import('../db/tx.js').Tx): Promise<NetworkIndex> {
    const [rows] = await db.query<any[]>('SELECT family, network, broadcast, prefix, gateway, cidr FROM ipnet ORDER BY family, network, prefix')
    return NetworkIndex.fromRows(rows)
  }

  /** An index of the given `ipnet` rows (any order). */
  static fromRows(rows: any[]): NetworkIndex {
    const index = new NetworkIndex()
    for (const r of rows) {
      const family = Number(r.family) as Family
      const list = index.byFamily.get(family) ?? []
      list.push({network: BigInt(r.network), broadcast: BigInt(r.broadcast), prefix: Number(r.prefix), gateway: r.gateway === null ? null : BigInt(r.gateway), cidr: r.cidr, parent: -1})
      index.byFamily.set(family, list)
    }
    for (const list of index.byFamily.values()) {
      // rows usually come in this order from SQL already: sort only when they do not
      const before = (a: NetworkEntry, b: NetworkEntry) => a.network < b.network || (a.network === b.network && a.prefix <= b.prefix)
      if (!list.every((e, i) => i === 0 || before(list[i - 1], e))) list.sort((a, b) => (a.network === b.network ? a.prefix - b.prefix : a.network < b.network ? -1 : 1))
      const stack: number[] = []
      for (let i = 0; i < list.length; i++) {
        while (stack.length > 0 && list[stack.at(-1)!].broadcast < list[i].network) stack.pop()
        list[i].parent = stack.length > 0 ? stack.at(-1)! : -1
        stack.push(i)
      }
    }
    return index
  }

  /** Every network of the family, in address order (parents before their children). */
  entries(family: Family): readonly NetworkEntry[] {
    return this.byFamily.get(family) ?? []
  }

  find(family: Family, value: bigint): NetworkEntry | undefined {
    const list = this.byFamily.get(family)
    if (!list || list.length === 0) return undefined
    let lo = 0
    let hi = list.length - 1
    let at = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (list[mid].network <= value) {
        at = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    while (at >= 0 && list[at].broadcast < value) at = list[at].parent
    return at >= 0 ? list[at] : undefined
  }
}
