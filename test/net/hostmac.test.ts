import {describe, expect, it} from 'vitest'

import {checkHostname, checkMac, macSearchPrefix} from '../../src/net/hostmac.js'

describe('hostnames (RFC 1123)', () => {
  it('stores names lower-case and drops one trailing dot', () => {
    expect(checkHostname('Printer-3.Example.COM')).toBe('printer-3.example.com')
    expect(checkHostname('host.example.com.')).toBe('host.example.com')
    expect(checkHostname('3com')).toBe('3com')
  })

  it('accepts 253 characters and 63-character labels, refuses more', () => {
    const label = 'a'.repeat(63)
    const name = [label, label, label, 'a'.repeat(61)].join('.')
    expect(name.length).toBe(253)
    expect(checkHostname(name)).toBe(name)
    expect(() => checkHostname(`${name}a`)).toThrow(/254 characters/)
    expect(() => checkHostname(`${'a'.repeat(64)}.example.com`)).toThrow(/longer than 63/)
  })

  it('refuses underscores, spaces, empty labels and hyphens at either end, naming the value', () => {
    for (const bad of ['under_score.example.com', 'has space', 'double..dot', '-lead.example.com', 'trail-.example.com', '', '.']) {
      expect(() => checkHostname(bad), bad).toThrow(/not a DNS name/)
    }
    expect(() => checkHostname('bad_host')).toThrow(/"bad_host"/)
  })
})

describe('MAC addresses', () => {
  it('reads every common notation and writes one canonical form', () => {
    for (const v of ['00:1A:2b:3c:4D:5e', '00-1a-2b-3c-4d-5e', '001a.2b3c.4d5e', '001A2B3C4D5E', ' 00:1a:2b:3c:4d:5e ']) {
      expect(checkMac(v), v).toBe('00:1a:2b:3c:4d:5e')
    }
  })

  it('refuses malformed MACs, naming the value', () => {
    for (const bad of ['00:1a:2b:3c:4d', '00:1a:2b:3c:4d:5e:6f', '00:1a-2b:3c:4d:5e', 'zz:1a:2b:3c:4d:5e', '001a.2b3c.4d5', 'hello']) {
      expect(() => checkMac(bad), bad).toThrow(/malformed/)
    }
    expect(() => checkMac('00:11')).toThrow(/"00:11"/)
  })

  it('turns a partial MAC into a prefix of the stored form for search', () => {
    expect(macSearchPrefix('00:1A:2B')).toBe('00:1a:2b')
    expect(macSearchPrefix('001a2b')).toBe('00:1a:2b')
    expect(macSearchPrefix('001a.2b3c')).toBe('00:1a:2b:3c')
    expect(macSearchPrefix('printer')).toBeUndefined()
    expect(macSearchPrefix('ab')).toBeUndefined()
  })
})
