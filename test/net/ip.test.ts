import {describe, expect, it} from 'vitest'

import {IpamError} from '../../src/errors.js'
import {formatAddress, formatCidr, parseAddress, parseCidr, parseRange, unusableReason, usableBounds, usableCount} from '../../src/net/ip.js'

function refusal(fn: () => unknown): IpamError {
  try {
    fn()
  } catch (error) {
    if (error instanceof IpamError) return error
    throw error
  }
  throw new Error('expected a refusal')
}

describe('addresses', () => {
  it.each([
    ['0.0.0.0', 4, 0n, '0.0.0.0'],
    ['255.255.255.255', 4, 0xffffffffn, '255.255.255.255'],
    ['192.0.2.1', 4, 0xc0000201n, '192.0.2.1'],
    ['::', 6, 0n, '::'],
    ['::1', 6, 1n, '::1'],
    ['2001:DB8:0:0:0:0:0:1', 6, 0x20010db8000000000000000000000001n, '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', 6, 0x20010db8000000010000000000000001n, '2001:db8:0:1::1'],
    ['::ffff:1.2.3.4', 6, 0xffff01020304n, '::ffff:1.2.3.4'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 6, (1n << 128n) - 1n, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['2001:db8::', 6, 0x20010db8n << 96n, '2001:db8::'],
  ])('parses %s', (text, family, value, canonical) => {
    expect(parseAddress(text)).toEqual({family, value})
    expect(formatAddress(family as 4 | 6, value)).toBe(canonical)
  })

  it.each(['1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-1', '', ' ', 'abc', '1::2::3', '12345::', 'fe80::1%eth0', '1.2.3.4/24', ':::', '1:2:3:4:5:6:7:8:9', '::ffff:1.2.3.256'])('refuses %j as a usage error', (text) => {
    expect(refusal(() => parseAddress(text)).kind).toBe('usage')
  })

  it('refuses leading-zero IPv4 octets, suggesting the decimal reading', () => {
    const e = refusal(() => parseAddress('010.1.1.1'))
    expect(e.message).toContain('leading zeros')
    expect(e.hint).toContain('10.1.1.1')
  })

  it('refuses zone ids', () => {
    expect(refusal(() => parseAddress('fe80::1%eth0')).message).toContain('zone')
  })
})

describe('CIDRs and ranges', () => {
  it('normalizes and refuses host bits, suggesting the network', () => {
    expect(formatCidr(parseCidr('2001:DB8::/32'))).toBe('2001:db8::/32')
    const e = refusal(() => parseCidr('192.0.2.77/24'))
    expect(e.kind).toBe('usage')
    expect(e.hint).toBe('did you mean 192.0.2.0/24?')
    expect(refusal(() => parseCidr('2001:db8::1/64')).hint).toBe('did you mean 2001:db8::/64?')
  })

  it('handles /0, /31, /32, /127, /128 and the last address of the space', () => {
    const all = parseCidr('0.0.0.0/0')
    expect(all.broadcast).toBe(0xffffffffn)
    expect(usableBounds(all)).toEqual({first: 1n, last: 0xfffffffen})
    expect(usableBounds(parseCidr('192.0.2.0/31'))).toEqual({first: 0xc0000200n, last: 0xc0000201n})
    expect(usableBounds(parseCidr('192.0.2.9/32'))).toEqual({first: 0xc0000209n, last: 0xc0000209n})
    expect(usableCount(parseCidr('2001:db8::/127'))).toBe(2n)
    expect(usableCount(parseCidr('2001:db8::1/128'))).toBe(1n)
    const v6all = parseCidr('::/0')
    expect(v6all.broadcast).toBe((1n << 128n) - 1n)
    expect(usableBounds(v6all).last).toBe((1n << 128n) - 1n)
    expect(usableCount(parseCidr('2001:db8::/64'))).toBe((1n << 64n) - 1n)
    expect(parseCidr('255.255.255.255/32').network).toBe(0xffffffffn)
  })

  it('refuses prefixes out of range', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '10.0.0.0/08', '::/129', '10.0.0.0']) expect(refusal(() => parseCidr(bad)).kind).toBe('usage')
  })

  it('says why an address is not usable', () => {
    const net = parseCidr('192.0.2.0/24')
    expect(unusableReason(net, 0xc0000200n)).toContain('network address')
    expect(unusableReason(net, 0xc00002ffn)).toContain('broadcast')
    expect(unusableReason(net, 0xc0000201n, 0xc0000201n)).toContain('gateway')
    expect(unusableReason(net, 0xc0000202n, 0xc0000201n)).toBeUndefined()
    expect(unusableReason(parseCidr('2001:db8::/64'), 0x20010db8n << 96n)).toContain('anycast')
  })

  it('parses ranges as start-end, CIDR or one address; refuses reversed and mixed ones', () => {
    expect(parseRange('10.0.0.10-10.0.0.20')).toEqual({family: 4, start: 0x0a00000an, end: 0x0a000014n})
    expect(parseRange('10.0.0.0/30')).toEqual({family: 4, start: 0x0a000000n, end: 0x0a000003n})
    expect(parseRange('2001:db8::5')).toEqual({family: 6, start: 0x20010db8000000000000000000000005n, end: 0x20010db8000000000000000000000005n})
    expect(refusal(() => parseRange('10.0.0.20-10.0.0.10')).hint).toContain('10.0.0.10-10.0.0.20')
    expect(refusal(() => parseRange('10.0.0.1-::1')).message).toContain('mixes')
  })
})
