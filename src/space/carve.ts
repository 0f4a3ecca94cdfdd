import type {Pool} from 'mysql2/promise'

import {audit} from '../admin/audit.js'
import {conflict, IpamError, usage} from '../errors.js'
import {retryAgain, withTransaction} from '../db/tx.js'
import {BITS, cidrOf, formatAddress, formatCidr, unusableReason} from '../net/ip.js'
import {checkText} from '../text.js'
import {blocksIn, checkPrefix, gapsOf} from './free.js'
import {checkLocations, findNetwork, networkView, NETWORK_COLUMNS, type NetworkRow, toNetworkRow, type Queryable} from './model.js'
import {heldAs} from '../db/query.js'

export interface CarveInput {
  /** The parent network, by id or CIDR. */
  from: string
  prefix: number
  count?: number
  name?: string
  /** Each new network's gateway is its network address plus this. */
  gatewayOffset?: number
  vlan?: number
  locations?: string[]
  note?: string
}

const MAX_COUNT = 10_000

/** The parent named by --from; one that does not exist is bad input (exit 2), not a lookup. */
async function findParent(db: Queryable, ref: string, forUpdate: boolean): Promise<NetworkRow> {
  try {
    return await findNetwork(db, ref, {forUpdate})
  } catch (error) {
    if (error instanceof IpamError && error.kind === 'not-found') throw usage(`--from ${ref}: ${error.message}`, error.hint)
    if (error instanceof IpamError && error.kind === 'usage') throw usage(`--from: ${error.message}`, error.hint)
    throw error
  }
}

/** The lowest `count` free aligned blocks of length `prefix` in `parent`, or fewer when it has no more room. */
export async function findFreeBlocks(db: Queryable, parent: NetworkRow, prefix: number, count: number): Promise<bigint[]> {
  const size = 1n << BigInt(BITS[parent.family] - prefix)
  const found: bigint[] = []
  for await (const gap of gapsOf(db, parent, {skipRuns: true})) {
    const {first, count: fit} = blocksIn(parent.family, gap, prefix)
    for (let i = 0n; i < fit && found.length < count; i++) found.push(first + i * size)
    if (found.length >= count) break
  }
  return found
}

/** How many blocks of length `prefix` are still free in `parent` (a full walk of its gaps). */
export async function countFreeBlocks(db: Queryable, parent: NetworkRow, prefix: number): Promise<bigint> {
  let n = 0n
  for await (const gap of gapsOf(db, parent)) n += blocksIn(parent.family, gap, prefix).count
  return n
}

/**
 * Carves the lowest free aligned child networks of length `prefix` out of a
 * parent, all or nothing, in one transaction. The parent's row lock
 * serialises carvers on one server; on a Galera cluster, where that lock is
 * local to a node, every carver also writes the parent row, so two carvers
 * that read the same free space cannot both commit: the loser gets a
 * certification failure (1213) and runs again on fresh data. The unique key
 * on (family, network, prefix) stands behind both.
 */
export async function carveNetworks(pool: Pool, input: CarveInput) {
  const count = input.count ?? 1
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) throw usage(`--count ${input.count} is out of range (1-${MAX_COUNT})`)
  const name = checkText('name', input.name, 255)
  const note = checkText('note', input.note, 4000, {multiline: true})
  const locations = checkLocations(input.locations)
  if (input.vlan !== undefined && (!Number.isInteger(input.vlan) || input.vlan < 1 || input.vlan > 4094)) throw usage(`VLAN ${input.vlan} is out of range (1-4094)`)
  const offset = input.gatewayOffset
  if (offset !== undefined && (!Number.isInteger(offset) || offset < 1)) throw usage(`--gateway-offset ${offset} must be 1 or more`)
  return withTransaction(pool, async (tx) => {
    const parent = await findParent(tx, input.from, true)
    checkPrefix(parent.family, input.prefix, parent.prefix, String(input.prefix))
    if (offset !== undefined) {
      const sample = cidrOf(parent.family, parent.network, input.prefix)
      const why = unusableReason(sample, sample.network + BigInt(offset))
      if (why) throw usage(`--gateway-offset ${offset} does not fit a /${input.prefix}: ${why.replace(formatCidr(sample), `a /${input.prefix}`)}`)
    }
    const starts = await findFreeBlocks(tx, parent, input.prefix, count)
    if (starts.length < count) {
      const free = await countFreeBlocks(tx, parent, input.prefix)
      throw conflict(
        'exhausted',
        `${parent.cidr} has no room for ${count} /${input.prefix} network${count === 1 ? '' : 's'}: ${free} /${input.prefix} free`,
        count > 1 && free > 0n ? `nothing was created (--count is all or nothing); ask for --count ${free} or less, or a longer --prefix` : 'nothing was created; try a longer --prefix, or see `ipam networks free ' + parent.cidr + '`',
        {requested: count, free: free.toString(), prefix: input.prefix, parent: parent.cidr},
      )
    }
    const blocks = starts.map((s) => cidrOf(parent.family, s, input.prefix))
    const rows = blocks.map((c) => [c.family, c.network, c.broadcast, c.prefix, formatCidr(c), name ?? null, offset === undefined ? null : c.network + BigInt(offset), input.vlan ?? null, note ?? null, JSON.stringify(locations)])
    // The write to the parent row is what a cluster certifies against (see above).
    await tx.query('UPDATE ipnet SET updated_at = CURRENT_TIMESTAMP(6) WHERE id = ?', [parent.id])
    try {
      await tx.query('INSERT INTO ipnet (family, network, broadcast, prefix, cidr, name, gateway, vlan, note, locations) VALUES ?', [rows])
    } catch (error) {
      if ((error as {errno?: number}).errno === 1062) throw retryAgain('another carver took the same block first', error)
      throw error
    }
    if (offset !== undefined) {
      const gateways = blocks.map((c) => c.network + BigInt(offset))
      const [taken] = await tx.query<any[]>('SELECT addr, status, assigned_to FROM ip WHERE family = ? AND addr IN (?) LIMIT 1', [parent.family, gateways])
      if (taken[0]) throw conflict('address_taken', `the gateway ${formatAddress(parent.family, BigInt(taken[0].addr))} is already ${heldAs({status: taken[0].status, assignedTo: taken[0].assigned_to})}`, 'nothing was created; choose another --gateway-offset')
    }
    const [created] = await tx.query<any[]>(`SELECT ${NETWORK_COLUMNS} FROM ipnet WHERE family = ? AND network IN (?) AND prefix = ? ORDER BY network`, [parent.family, starts, input.prefix])
    const nets = created.map(toNetworkRow)
    await audit(tx, nets.map((net) => ({
      action: 'networks.add', objectType: 'network', objectId: net.id,
      detail: {cidr: net.cidr, from: parent.cidr, name, gateway: net.gateway === null ? null : formatAddress(net.family, net.gateway), vlan: input.vlan ?? null, locations},
    })))
    return {parent: {id: parent.id, cidr: parent.cidr}, networks: nets.map((n) => networkView(n))}
  })
}
