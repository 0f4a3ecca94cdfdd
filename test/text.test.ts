import {describe, expect, it} from 'vitest'

import {plural, quote} from '../src/text.js'

describe('values quoted in messages', () => {
  it('escapes a control character once and a typed backslash as a backslash, so the two differ', () => {
    expect(quote('a\u001bb')).toBe('"a\\x1bb"')
    expect(quote('a\\x1bb')).toBe('"a\\\\x1bb"')
    expect(quote('say "hi"')).toBe('"say \\"hi\\""')
    expect(quote('line\nbreak\u0000')).toBe('"line\\x0abreak\\x00"')
  })

  it('cuts a long value short', () => {
    expect(quote('x'.repeat(100), 10)).toBe(`"${'x'.repeat(10)}…"`)
  })
})

describe('counts with nouns', () => {
  it('says "1 address" and "2 addresses"', () => {
    expect(plural(1, 'address', 'addresses')).toBe('1 address')
    expect(plural(2, 'address', 'addresses')).toBe('2 addresses')
    expect(plural(0, 'range')).toBe('0 ranges')
    expect(plural(1n, 'network')).toBe('1 network')
    expect(plural('1', 'pool')).toBe('1 pool')
  })
})
