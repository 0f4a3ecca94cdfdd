import {humanCount, makeChalk} from './output.js'
import {terminalWidth, wrapItems} from './listing.js'
import type {AddressCell, BlockCell, CellState, NetworkMap} from '../space/map.js'

interface Glyphs {
  states: Record<CellState, string>
  shades: string[]
}

const UNICODE: Glyphs = {
  states: {free: '·', outside: ' ', ALLOCATED: 'A', RESERVED: 'R', USED: 'U', gateway: 'G', 'reserved-address': '×', pending: 'P'},
  shades: ['·', '░', '▒', '▓', '█'],
}
const ASCII: Glyphs = {
  states: {free: '.', outside: ' ', ALLOCATED: 'A', RESERVED: 'R', USED: 'U', gateway: 'G', 'reserved-address': 'x', pending: 'P'},
  shades: ['.', ':', '+', '*', '#'],
}

const LABELS: Record<CellState, string> = {
  free: 'free', outside: 'outside every pool range', ALLOCATED: 'ALLOCATED', RESERVED: 'RESERVED', USED: 'USED', gateway: 'gateway', 'reserved-address': 'network/broadcast', pending: 'PENDING request',
}

export interface RenderOptions {
  ascii?: boolean
  color?: boolean
}

function paintState(state: CellState, text: string, color: boolean): string {
  const c = makeChalk(color)
  switch (state) {
    case 'free': return c.green(text)
    case 'ALLOCATED': return c.blue(text)
    case 'RESERVED': return c.yellow(text)
    case 'USED': return c.red(text)
    case 'gateway': return c.magenta(text)
    case 'pending': return c.cyan(text)
    case 'reserved-address': return c.dim(text)
    default: return text
  }
}

/** One shade step per quarter: empty, up to 25%, 50%, 75%, above. */
export function shadeIndex(used: number, size: bigint): number {
  if (used <= 0) return 0
  const pct = Number((BigInt(used) * 10_000n) / size) / 100
  if (pct <= 25) return 1
  if (pct <= 50) return 2
  if (pct <= 75) return 3
  return 4
}

function blockGlyph(cell: BlockCell, g: Glyphs, color: boolean): string {
  const c = makeChalk(color)
  const i = shadeIndex(cell.used, BigInt(cell.size))
  if (i === 0 && cell.inRanges === 0) return ' '
  const glyph = g.shades[i]
  return i >= 4 ? c.red(glyph) : i >= 3 ? c.yellow(glyph) : i > 0 ? c.blue(glyph) : c.green(glyph)
}

export function cellGlyph(cell: AddressCell | BlockCell, opts: RenderOptions): string {
  const g = opts.ascii ? ASCII : UNICODE
  if ('state' in cell) return paintState(cell.state, g.states[cell.state], Boolean(opts.color))
  return blockGlyph(cell, g, Boolean(opts.color))
}

/** The grid as text: row labels, 16 cells a row, then legend and totals. */
export function renderMap(map: NetworkMap, opts: RenderOptions = {}): string {
  const g = opts.ascii ? ASCII : UNICODE
  const c = makeChalk(Boolean(opts.color))
  const width = Math.max(...map.rows.map((r) => r.label.length))
  const lines: string[] = []
  const header = map.mode === 'address' ? 'one address per cell' : `each cell is a /${map.cellPrefix} (${map.rows[0].cells[0] && 'size' in map.rows[0].cells[0] ? humanCount((map.rows[0].cells[0] as BlockCell).size) : '?'} addresses), shaded by use`
  lines.push(`${c.bold(map.network)}  ${c.dim(header)}`)
  // Column labels in the base of the row labels: decimal beside IPv4 addresses, hexadecimal beside IPv6.
  const decimal = !map.network.includes(':')
  const cell = decimal ? 3 : 2
  const offsets = Array.from({length: map.columns}, (_, i) => `${map.mode === 'address' && !decimal ? '+' : ''}${i.toString(decimal ? 10 : 16)}`.padStart(cell)).join('')
  lines.push(`${' '.repeat(width)}  ${c.dim(offsets)}`)
  for (const row of map.rows) lines.push(`${row.label.padStart(width)}  ${row.cells.map((x) => `${' '.repeat(cell - 1)}${cellGlyph(x, opts)}`).join('')}`.trimEnd())
  lines.push('')
  let legend: string[]
  if (map.mode === 'address') {
    const shown: CellState[] = ['free', 'ALLOCATED', 'RESERVED', 'USED', 'pending', 'gateway', 'reserved-address', 'outside']
    legend = shown.map((s) => `${paintState(s, g.states[s] === ' ' ? `'${g.states[s]}'` : g.states[s], Boolean(opts.color))} ${LABELS[s]}`)
  } else {
    const steps = opts.ascii ? ['no use', '<=25%', '<=50%', '<=75%', '>75%'] : ['no use', '≤25%', '≤50%', '≤75%', '>75%']
    legend = [...g.shades.map((s, i) => `${s} ${steps[i]}`), "' ' no pool range, unused"]
  }
  lines.push(...wrapItems(legend, '   ', terminalWidth()))
  const t = map.totals
  lines.push(map.mode === 'address'
    ? `${t.usable} usable: ${t.ALLOCATED} allocated, ${t.RESERVED} reserved, ${t.USED} used, ${t.pending} pending, ${t.free} free in ranges, ${t.outside} outside ranges`
    : `${humanCount(t.usable)} usable: ${t.used} used, ${t.pending} pending requests, ${humanCount(t.free)} free`)
  return lines.join('\n')
}

/** The 16-address row around an address, the address itself in brackets (for triage cards). */
export function renderStrip(cells: AddressCell[], focus: string, opts: RenderOptions = {}): string {
  return cells.map((cell) => (cell.first === focus ? `[${cellGlyph(cell, opts)}]` : ` ${cellGlyph(cell, opts)} `)).join('').replace(/\s+$/, '')
}
