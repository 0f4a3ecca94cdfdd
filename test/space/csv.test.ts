import {Readable} from 'node:stream'
import {describe, expect, it} from 'vitest'

import {IpamError} from '../../src/errors.js'
import {readCsv} from '../../src/space/csv.js'
import {csvHeaderColumns} from '../../src/space/importexport.js'

function refusal(fields: string[]): IpamError {
  try {
    csvHeaderColumns(fields)
  } catch (error) {
    return error as IpamError
  }
  throw new Error(`accepted ${fields.join(',')}`)
}

describe('CSV header lines', () => {
  it('takes the columns in any order, in any case, with dashes or spaces for underscores', () => {
    expect(csvHeaderColumns(['description', 'assign_type', 'assigned_to', 'status', 'address'])).toEqual(['description', 'assign_type', 'assigned_to', 'status', 'address'])
    expect(csvHeaderColumns([' Address ', 'Assigned-To', 'ASSIGN TYPE'])).toEqual(['address', 'assigned_to', 'assign_type'])
  })

  it('takes a subset that includes address', () => {
    expect(csvHeaderColumns(['status', 'address'])).toEqual(['status', 'address'])
    expect(csvHeaderColumns(['address'])).toEqual(['address'])
  })

  it('reads a line holding an address as data, not as a header', () => {
    expect(csvHeaderColumns(['10.0.0.1', 'USED', '', '', 'status'])).toBeUndefined()
    expect(csvHeaderColumns(['2001:db8::1', 'address'])).toBeUndefined()
    expect(csvHeaderColumns(['10.0.0.1'])).toBeUndefined()
  })

  it('refuses unknown names (naming each), repeated names and a header without address, as usage errors', () => {
    const unknown = refusal(['address', 'colour', 'owner'])
    expect(unknown.kind).toBe('usage')
    expect(unknown.message).toContain('"colour"')
    expect(unknown.message).toContain('"owner"')
    expect(refusal(['address', 'status', 'Status']).message).toMatch(/"status" more than once/)
    expect(refusal(['status', 'description']).message).toMatch(/no address column/)
  })

  it('reads quoted fields holding commas, quotes and newlines, with their line numbers', async () => {
    const rows = []
    for await (const r of readCsv(Readable.from(['address,description\n10.0.0.1,"a, ""b""\nc"\n10.0.0.2,d\n']))) rows.push(r)
    expect(rows).toEqual([
      {line: 1, fields: ['address', 'description']},
      {line: 2, fields: ['10.0.0.1', 'a, "b"\nc']},
      {line: 4, fields: ['10.0.0.2', 'd']},
    ])
  })
})
