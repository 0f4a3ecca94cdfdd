import type {Pool} from 'mysql2/promise'

import {addressRuns, audit} from '../admin/audit.js'
import {conflict, notFound, usage} from '../errors.js'
import {type Tx, withTransaction} from '../db/tx.js'
import {checkHostname, checkMac} from '../net/hostmac.js'
import {formatAddress, parseAddress, unusableReason} from '../net/ip.js'
import {checkText, checkWord, quote} from '../text.js'
import {type AddressFields, checkAssignType, checkStatus, toView} from './addresses.js'
import {checkLocations, cidrOfRow, findNetwork, findPool, networkContaining, networkView} from './model.js'
import {poolView} from './pools.js'
import {addressHolder, heldAs} from '../db/query.js'

/**
 * One convention for every `set` command: a flag sets a field, `--clear FIELD`
 * empties an optional one, an empty flag value is refused (by the CLI). A field
 * both set and cleared is a usage error. Each edit locks the row (FOR UPDATE),
 * compares, writes the fields that change and one audit row holding
 * `changes: {field: {old, new}}`; an edit that changes nothing writes nothing.
 */
export type Changes = Record<string, {old: unknown; new: unknown}>

export const NETWORK_CLEARABLE = ['name', 'gateway', 'vlan', 'location', 'note'] as const
export const POOL_CLEARABLE = ['location', 'note'] as const
export const ADDRESS_CLEARABLE = ['assigned-to', 'assign-type', 'description', 'hostname', 'mac'] as const

/** Checks `--clear` values against the fields that may be cleared and against the fields being set. */
export function checkClear(clear: string[] | undefined, clearable: readonly string[], given: Record<string, unknown>): Set<string> {
  const out = new Set<string>()
  for (const raw of clear ?? []) {
    const field = raw.trim().toLowerCase()
    if (!clearable.includes(field)) throw usage(`--clear ${quote(raw)}: not a field that can be cleared`, `one of ${clearable.join(', ')}`)
    if (given[field] !== undefined) throw usage(`--${field} and --clear ${field} contradict each other`, 'give one of them')
    out.add(field)
  }
  return out
}

/** An empty value is never "clear": that is what --clear FIELD says. */
function refuseEmpty(values: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v.trim() === '') throw usage(`--${k} is empty`, `to empty the field, use --clear ${k}`)
}

const same = (a: unknown, b: unknown) => JSON.stringify(a, big) === JSON.stringify(b, big)
const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)

function diff(before: Record<string, unknown>, after: Record<string, unknown>): Changes {
  const changes: Changes = {}
  for (const k of Object.keys(after)) if (!same(before[k], after[k])) changes[k] = {old: before[k] ?? null, new: after[k] ?? null}
  return changes
}

export interface NetworkEdit {
  name?: string
  gateway?: string
  vlan?: number
  locations?: string[]
  note?: string
  clear?: string[]
}

/** Edits a network in place. A new gateway lies inside, is usable, and no address row holds it. */
export async function setNetwork(pool: Pool, ref: string, input: NetworkEdit) {
  const clear = checkClear(input.clear, NETWORK_CLEARABLE, {name: input.name, gateway: input.gateway, vlan: input.vlan, location: input.locations, note: input.note})
  refuseEmpty({name: input.name, gateway: input.gateway, note: input.note})
  const name = checkText('name', input.name, 255)
  const note = checkText('note', input.note, 4000, {multiline: true})
  const locations = input.locations === undefined ? undefined : checkLocations(input.locations)
  if (input.vlan !== undefined && (!Number.isInteger(input.vlan) || input.vlan < 1 || input.vlan > 4094)) throw usage(`VLAN ${input.vlan} is out of range (1-4094)`)
  if (clear.size === 0 && [name, input.gateway, input.vlan, locations, note].every((v) => v === undefined)) throw usage('nothing to change', 'give at least one of --name, --gateway, --vlan, --location, --note or --clear FIELD')
  return withTransaction(pool, async (tx) => {
    const net = await findNetwork(tx, ref, {forUpdate: true})
    let gateway: bigint | null | undefined
    if (input.gateway !== undefined) {
      const g = parseAddress(input.gateway, 'gateway')
      if (g.family !== net.family) throw usage(`the gateway ${input.gateway} is not an IPv${net.family} address`)
      if (g.value < net.network || g.value > net.broadcast) throw usage(`the gateway ${formatAddress(g.family, g.value)} is outside ${net.cidr}`)
      const why = unusableReason(cidrOfRow(net), g.value)
      if (why) throw usage(`the gateway ${formatAddress(g.family, g.value)} cannot be used: ${why}`)
      if (g.value !== net.gateway) {
        const taken = await addressHolder(tx, g.family, g.value, {forUpdate: true})
        if (taken) throw conflict('address_taken', `the gateway ${formatAddress(g.family, g.value)} is already ${heldAs(taken)}`, 'release it first, or choose another gateway')
      }
      gateway = g.value
    }
    const before = networkView(net)
    const fields: Record<string, unknown> = {}
    if (name !== undefined || clear.has('name')) fields.name = name ?? null
    if (gateway !== undefined || clear.has('gateway')) fields.gateway = gateway ?? null
    if (input.vlan !== undefined || clear.has('vlan')) fields.vlan = input.vlan ?? null
    if (locations !== undefined || clear.has('location')) fields.locations = locations ?? []
    if (note !== undefined || clear.has('note')) fields.note = note ?? null
    const afterView = {...before, ...fields, gateway: 'gateway' in fields ? (fields.gateway === null ? null : formatAddress(net.family, fields.gateway as bigint)) : before.gateway}
    const changes = diff(before as Record<string, unknown>, Object.fromEntries(Object.keys(fields).map((k) => [k, (afterView as Record<string, unknown>)[k]])))
    if (Object.keys(changes).length === 0) return {...before, changed: false, changes}
    const cols = Object.keys(changes)
    await tx.query(`UPDATE ipnet SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [
      ...cols.map((c) => (c === 'locations' ? JSON.stringify(fields.locations) : fields[c])),
      net.id,
    ])
    await audit(tx, {action: 'networks.set', objectType: 'network', objectId: net.id, detail: {cidr: net.cidr, changes}})
    return {...networkView(await findNetwork(tx, String(net.id))), changed: true, changes}
  })
}

export interface PoolEdit {
  name?: string
  locations?: string[]
  note?: string
  clear?: string[]
}

/** Edits a pool in place; a new name must be free (the unique key decides a race). */
export async function setPool(pool: Pool, ref: string, input: PoolEdit) {
  const clear = checkClear(input.clear, POOL_CLEARABLE, {name: input.name, location: input.locations, note: input.note})
  refuseEmpty({name: input.name, note: input.note})
  const name = input.name === undefined ? undefined : checkWord('pool name', input.name, 190)!
  if (name !== undefined && /^\d+$/.test(name)) throw usage(`a pool name cannot be a number (${quote(name)}): pools are found by id or name`)
  const note = checkText('note', input.note, 4000, {multiline: true})
  const locations = input.locations === undefined ? undefined : checkLocations(input.locations)
  if (clear.size === 0 && [name, locations, note].every((v) => v === undefined)) throw usage('nothing to change', 'give at least one of --name, --location, --note or --clear FIELD')
  return withTransaction(pool, async (tx) => {
    const p = await findPool(tx, ref, {forUpdate: true})
    const before = poolView(p)
    const fields: Record<string, unknown> = {}
    if (name !== undefined) fields.name = name
    if (locations !== undefined || clear.has('location')) fields.locations = locations ?? []
    if (note !== undefined || clear.has('note')) fields.note = note ?? null
    const changes = diff(before as Record<string, unknown>, fields)
    if (Object.keys(changes).length === 0) return {...before, changed: false, changes}
    const cols = Object.keys(changes)
    try {
      await tx.query(`UPDATE ippool SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [...cols.map((c) => (c === 'locations' ? JSON.stringify(fields.locations) : fields[c])), p.id])
    } catch (error) {
      if ((error as {errno?: number}).errno === 1062) throw conflict('duplicate', `a pool named ${quote(name!)} already exists`, 'nothing was changed')
      throw error
    }
    await audit(tx, {action: 'pools.set', objectType: 'pool', objectId: p.id, detail: {name: p.name, changes}})
    return {...poolView(await findPool(tx, String(p.id))), changed: true, changes}
  })
}

export interface AddressEdit extends AddressFields {
  clear?: string[]
}

const ADDRESS_COLUMN: Record<string, string> = {status: 'status', assignedTo: 'assigned_to', assignType: 'assign_type', description: 'description', hostname: 'hostname', mac: 'mac'}

/** Edits an allocated address in place: the row is updated, never released and taken again. */
export async function setAddress(pool: Pool, text: string, input: AddressEdit) {
  const a = parseAddress(text)
  const clear = checkClear(input.clear, ADDRESS_CLEARABLE, {'assigned-to': input.assignedTo, 'assign-type': input.assignType, description: input.description, hostname: input.hostname, mac: input.mac})
  refuseEmpty({status: input.status, 'assigned-to': input.assignedTo, 'assign-type': input.assignType, description: input.description, hostname: input.hostname, mac: input.mac})
  const fields: Record<string, unknown> = {}
  if (input.status !== undefined) fields.status = checkStatus(input.status)
  if (input.assignedTo !== undefined) fields.assignedTo = checkText('assigned-to', input.assignedTo, 255)
  if (input.assignType !== undefined) fields.assignType = checkAssignType(input.assignType)
  if (input.description !== undefined) fields.description = checkText('description', input.description, 2000, {multiline: true})
  if (input.hostname !== undefined) fields.hostname = checkHostname(input.hostname)
  if (input.mac !== undefined) fields.mac = checkMac(input.mac)
  const camel: Record<string, string> = {'assigned-to': 'assignedTo', 'assign-type': 'assignType', description: 'description', hostname: 'hostname', mac: 'mac'}
  for (const c of clear) fields[camel[c]] = null
  if (Object.keys(fields).length === 0) throw usage('nothing to change', 'give at least one of --status, --assigned-to, --assign-type, --description, --hostname, --mac or --clear FIELD')
  const address = formatAddress(a.family, a.value)
  return withTransaction(pool, async (tx: Tx) => {
    const [rows] = await tx.query<any[]>('SELECT * FROM ip WHERE family = ? AND addr = ? FOR UPDATE', [a.family, a.value])
    if (!rows[0]) throw notFound(`${address} is not allocated`, `allocate it first with \`ipam ips allocate ${address}\``)
    const before = toView(rows[0])
    const changes = diff(before as unknown as Record<string, unknown>, fields)
    const net = await networkContaining(tx, a.family, a.value)
    if (Object.keys(changes).length === 0) return {...before, network: net?.cidr ?? null, changed: false, changes}
    const cols = Object.keys(changes)
    await tx.query(`UPDATE ip SET ${cols.map((c) => `${ADDRESS_COLUMN[c]} = ?`).join(', ')} WHERE id = ?`, [...cols.map((c) => fields[c]), rows[0].id])
    await audit(tx, {action: 'ips.set', objectType: 'ip', objectId: address, detail: {changes}, spans: addressRuns([a])})
    const [after] = await tx.query<any[]>('SELECT * FROM ip WHERE id = ?', [rows[0].id])
    return {...toView(after[0]), network: net?.cidr ?? null, changed: true, changes}
  })
}
