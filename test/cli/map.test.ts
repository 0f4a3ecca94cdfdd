import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {utilizationBar} from '../../src/cli/output.js'
import {cliFor, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {hasPty, runPty} from '../support/pty.js'

describe('utilization bars', () => {
  it('draw eighths of a block, with the percentage always as text', () => {
    expect(utilizationBar(0)).toBe('▕          ▏   0.0%')
    expect(utilizationBar(13.8)).toBe('▕█▍        ▏  13.8%')
    expect(utilizationBar(100)).toBe('▕██████████▏ 100.0%')
  })

  it('fall back to ASCII', () => {
    expect(utilizationBar(13.8, {ascii: true})).toBe('[#.........]  13.8%')
    expect(utilizationBar(55, {ascii: true})).toBe('[######....]  55.0%')
  })

  it('colour by the warn and critical thresholds', () => {
    expect(utilizationBar(50, {color: true})).toContain('\u001b[32m')
    expect(utilizationBar(85, {color: true})).toContain('\u001b[33m')
    expect(utilizationBar(96, {color: true})).toContain('\u001b[31m')
    expect(utilizationBar(60, {color: true, warn: 50, critical: 70})).toContain('\u001b[33m')
    expect(utilizationBar(96)).not.toContain('\u001b[')
  })
})

describe('networks map and bars on fixed data', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const home = tempHome()
  beforeAll(async () => {
    db = await freshDatabase('map')
    run = cliFor(db.url, home)
    for (const args of [
      ['networks', 'add', '192.0.2.0/27', '--gateway', '192.0.2.1'],
      ['pools', 'add', 'p'],
      ['ranges', 'add', 'p', '192.0.2.4-192.0.2.20'],
      ['ips', 'allocate', '192.0.2.4'],
      ['ips', 'allocate', '192.0.2.5', '--status', 'RESERVED'],
      ['ips', 'allocate', '192.0.2.6', '--status', 'USED'],
      ['requests', 'submit', '--ip', '192.0.2.7'],
      ['ips', 'allocate', '192.0.2.25', '--status', 'USED'],
      ['networks', 'add', '10.0.0.0/22'],
      ['pools', 'add', 'q'],
      ['ranges', 'add', 'q', '10.0.0.0/23'],
      ['ips', 'allocate', '--pool', 'q', '--count', '10'],
    ]) expect((await run(args)).code, args.join(' ')).toBe(0)
  })
  afterAll(() => db.drop())

  it('draws one cell per address, with column labels in the base of the row labels, legend and totals', async () => {
    const r = await run(['networks', 'map', '192.0.2.0/27', '--ascii'])
    expect(r.stdout).toBe([
      '192.0.2.0/27  one address per cell',
      '              0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15',
      ' 192.0.2.0    x  G        A  R  U  P  .  .  .  .  .  .  .  .',
      '192.0.2.16    .  .  .  .  .              U                 x',
      '',
      ". free   A ALLOCATED   R RESERVED   U USED   P PENDING request   G gateway   x network/broadcast   ' ' outside every pool range",
      '29 usable: 1 allocated, 1 reserved, 2 used, 1 pending, 13 free in ranges, 11 outside ranges',
      '',
    ].join('\n'))
    const unicode = await run(['networks', 'map', '192.0.2.0/27'], {env: {LANG: 'C.UTF-8'}})
    expect(unicode.stdout.split('\n')[2]).toBe(' 192.0.2.0    ×  G        A  R  U  P  ·  ·  ·  ·  ·  ·  ·  ·')
  })

  it('aggregates larger networks, a prefix per cell, shaded by use', async () => {
    const r = await run(['networks', 'map', '10.0.0.0/22', '--ascii'])
    const lines = r.stdout.split('\n')
    expect(lines[0]).toBe('10.0.0.0/22  each cell is a /30 (4 addresses), shaded by use')
    expect(lines[2]).toBe('  10.0.0.0    *  #  *  .  .  .  .  .  .  .  .  .  .  .  .  .')
    expect(lines[10]).toBe('  10.0.2.0')
    expect(lines.at(-2)).toBe('1022 usable: 10 used, 0 pending requests, 1012 free')
  })

  it('returns the cells as JSON', async () => {
    const r = await run(['networks', 'map', '192.0.2.0/27', '--json'])
    const map = r.json()
    expect(map).toMatchObject({network: '192.0.2.0/27', mode: 'address', columns: 16})
    expect(map.rows[0].cells.slice(0, 8).map((c: any) => c.state)).toEqual(['reserved-address', 'gateway', 'outside', 'outside', 'ALLOCATED', 'RESERVED', 'USED', 'pending'])
    const big = (await run(['networks', 'map', '10.0.0.0/22', '--json'])).json()
    expect(big.rows[0].cells[0]).toEqual({first: '10.0.0.0', size: '4', used: 3, inRanges: 1})
  })

  it('colours cells when asked, and the bars in networks list', async () => {
    const r = await run(['networks', 'map', '192.0.2.0/27', '--ascii'], {env: {FORCE_COLOR: '1'}})
    expect(r.stdout).toContain('\u001b[34mA\u001b[39m')
    expect(r.stdout).toContain('\u001b[31mU\u001b[39m')
    const list = await run(['networks', 'list', '--ascii', '--no-color', '--output', 'table'])
    // --ascii draws the borders in ASCII too
    expect(list.stdout).toContain('| 192.0.2.0/27 |      |      |           |    4 |     29 | [#.........]  13.8% |')
  })

  it.skipIf(!hasPty)('draws the map on a real terminal', async () => {
    const session = runPty(['networks', 'map', '192.0.2.0/27'], {env: {IPAM_DATABASE_URL: db.url, LANG: 'C.UTF-8'}, home})
    await session.expect('192.0.2.0/27  one address per cell')
    await session.expect('A  R  U  P')
    await session.expect('29 usable')
    expect((await session.exited()).code).toBe(0)
  })

  it.skipIf(!hasPty)('shows the neighbourhood strip on a triage card', async () => {
    const session = runPty(['requests', 'triage', '--no-color'], {env: {IPAM_DATABASE_URL: db.url, LANG: 'C.UTF-8'}, home})
    await session.expect('Nearby       192.0.2.0   ×  G        A  R  U [P] ·  ·')
    await session.expect('Decide')
    session.write('q')
    await session.expect('Triage summary')
    expect((await session.exited()).code).toBe(0)
  })
})
