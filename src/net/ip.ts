import {IpamError, usage} from '../errors.js'
import {quote} from '../text.js'

export type Family = 4 | 6

export interface Address {
  family: Family
  value: bigint
}

/** A network: first (network) and last (broadcast) address, inclusive. */
export interface Cidr {
  family: Family
  network: bigint
  broadcast: bigint
  prefix: number
}

export interface Range {
  family: Family
  start: bigint
  end: bigint
}

export const BITS: Record<Family, number> = {4: 32, 6: 128}
export const maxValue = (family: Family) => (1n << BigInt(BITS[family])) - 1n

function parseIPv4(text: string, field = 'IPv4 address'): bigint | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (!m) return undefined
  let value = 0n
  for (const part of m.slice(1)) {
    if (part.length > 1 && part.startsWith('0')) throw usage(`invalid ${field} ${quote(text)}: leading zeros are ambiguous (octal or decimal?)`, `write ${text.split('.').map((p) => String(Number(p))).join('.')}`)
    const n = Number(part)
    if (n > 255) throw usage(`invalid ${field} ${quote(text)}: ${part} is not an octet (0-255)`)
    value = (value << 8n) | BigInt(n)
  }
  return value
}

function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return undefined
  let head = text
  let tailV4: bigint | undefined
  const lastColon = text.lastIndexOf(':')
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = within(text, 'IPv6 address', () => parseIPv4(text.slice(lastColon + 1), 'IPv4 part'))
    if (tailV4 === undefined) return undefined
    head = `${text.slice(0, lastColon + 1)}0:0`
  }
  const halves = head.split('::')
  if (halves.length > 2) return undefined
  const toGroups = (s: string) => (s === '' ? [] : s.split(':'))
  const left = toGroups(halves[0])
  const right = halves.length === 2 ? toGroups(halves[1]) : []
  const groups = [...left, ...right]
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined
  if (halves.length === 1 ? groups.length !== 8 : groups.length > 7) return undefined
  const filled = halves.length === 2 ? [...left, ...Array(8 - groups.length).fill('0'), ...right] : groups
  let value = 0n
  for (const g of filled) value = (value << 16n) | BigInt(Number.parseInt(g, 16))
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4
  return value
}

/** Surrounding spaces and tabs only: JavaScript's trim() would also eat a byte-order mark or a line break. */
const trimBlanks = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '')

/** Parses an IPv4 or IPv6 address; refuses zone ids, leading-zero octets and anything else malformed. */
export function parseAddress(input: string, field = 'address'): Address {
  return parseExactAddress(trimBlanks(input), field, input)
}

function parseExactAddress(text: string, field: string, input = text): Address {
  if (text.includes('%')) throw usage(`invalid ${field} ${quote(input)}: zone ids (%eth0) are not part of an address`)
  if (text.length > 0 && text.length <= 45) {
    const v4 = parseIPv4(text, field)
    if (v4 !== undefined) return {family: 4, value: v4}
    const v6 = parseIPv6(text)
    if (v6 !== undefined) return {family: 6, value: v6}
  }
  throw usage(`invalid ${field} ${quote(input)}: not an IPv4 or IPv6 address`)
}

/** Parses part of a larger value; a failure names the whole value, then the part. */
function within<T>(input: string, field: string, parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    if (error instanceof IpamError) throw usage(`invalid ${field} ${quote(input)}: ${error.message}`, error.hint)
    throw error
  }
}

/** Canonical text: dotted quad, or RFC 5952 for IPv6 (IPv4-mapped shown as ::ffff:a.b.c.d). */
export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.')
  if (value >> 32n === 0xffffn) return `::ffff:${formatAddress(4, value & 0xffffffffn)}`
  const groups: number[] = []
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn))
  let bestStart = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`
}

export const formatAddr = (a: Address) => formatAddress(a.family, a.value)

export function mask(family: Family, prefix: number): bigint {
  const bits = BITS[family]
  return prefix === 0 ? 0n : (maxValue(family) >> BigInt(bits - prefix)) << BigInt(bits - prefix)
}

export function cidrOf(family: Family, network: bigint, prefix: number): Cidr {
  return {family, network, prefix, broadcast: network | (maxValue(family) ^ mask(family, prefix))}
}

export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.family, c.network)}/${c.prefix}`
}

/**
 * Parses a CIDR. With host bits set it refuses and suggests the corrected
 * network (SPEC section 3). A bare address is a /32 or /128 when `allowBare`.
 */
export function parseCidr(input: string, opts: {allowBare?: boolean; field?: string} = {}): Cidr {
  const field = opts.field ?? 'network'
  const text = trimBlanks(input)
  const slash = text.indexOf('/')
  if (slash < 0) {
    if (!opts.allowBare) throw usage(`invalid ${field} ${quote(input)}: a CIDR needs a prefix length, e.g. 192.0.2.0/24`)
    const a = parseAddress(text, field)
    return cidrOf(a.family, a.value, BITS[a.family])
  }
  const a = within(input, field, () => parseExactAddress(text.slice(0, slash), 'address'))
  const prefixText = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText) || (prefixText.length > 1 && prefixText.startsWith('0')) || Number(prefixText) > BITS[a.family]) {
    throw usage(`invalid ${field} ${quote(input)}: the prefix length must be 0-${BITS[a.family]}`)
  }
  const prefix = Number(prefixText)
  const network = a.value & mask(a.family, prefix)
  if (network !== a.value) {
    const fixed = formatCidr(cidrOf(a.family, network, prefix))
    throw usage(`invalid ${field} ${quote(input)}: host bits are set`, `did you mean ${fixed}?`)
  }
  return cidrOf(a.family, network, prefix)
}

/** A range: `start-end`, a CIDR, or one address. */
export function parseRange(input: string, field = 'range'): Range {
  const text = trimBlanks(input)
  const dash = text.indexOf('-')
  if (dash >= 0) {
    const start = within(input, field, () => parseAddress(text.slice(0, dash), 'start'))
    const end = within(input, field, () => parseAddress(text.slice(dash + 1), 'end'))
    if (start.family !== end.family) throw usage(`invalid ${field} ${quote(input)}: it mixes IPv4 and IPv6`)
    if (start.value > end.value) throw usage(`invalid ${field} ${quote(input)}: the start is after the end`, `did you mean ${formatAddr(end)}-${formatAddr(start)}?`)
    return {family: start.family, start: start.value, end: end.value}
  }
  const c = parseCidr(text, {allowBare: true, field})
  return {family: c.family, start: c.network, end: c.broadcast}
}

export function formatRange(r: Range): string {
  return r.start === r.end ? formatAddress(r.family, r.start) : `${formatAddress(r.family, r.start)}-${formatAddress(r.family, r.end)}`
}

export const rangeSize = (r: {start: bigint; end: bigint}) => r.end - r.start + 1n

/**
 * The addresses of a network that may be handed out (SPEC section 3): IPv4
 * shorter than /31 loses network and broadcast; IPv6 shorter than /127 loses
 * the subnet-router anycast address (the first). /31, /32, /127, /128 keep all.
 */
export function usableBounds(c: Cidr): {first: bigint; last: bigint} {
  const bits = BITS[c.family]
  if (c.prefix >= bits - 1) return {first: c.network, last: c.broadcast}
  if (c.family === 4) return {first: c.network + 1n, last: c.broadcast - 1n}
  return {first: c.network + 1n, last: c.broadcast}
}

export function usableCount(c: Cidr, gateway?: bigint | null): bigint {
  const {first, last} = usableBounds(c)
  const n = last - first + 1n
  return gateway !== undefined && gateway !== null && gateway >= first && gateway <= last ? n - 1n : n
}

/** Why an address of the network may not be handed out, or undefined when it may. */
export function unusableReason(c: Cidr, value: bigint, gateway?: bigint | null): string | undefined {
  const {first, last} = usableBounds(c)
  if (value < c.network || value > c.broadcast) return `it is outside ${formatCidr(c)}`
  if (gateway !== undefined && gateway !== null && value === gateway) return `it is the gateway of ${formatCidr(c)}`
  if (value < first) return c.family === 4 ? `it is the network address of ${formatCidr(c)}` : `it is the subnet-router anycast address of ${formatCidr(c)}`
  if (value > last) return `it is the broadcast address of ${formatCidr(c)}`
  return undefined
}

export const contains = (c: {family: Family; network: bigint; broadcast: bigint}, family: Family, value: bigint) =>
  c.family === family && value >= c.network && value <= c.broadcast
