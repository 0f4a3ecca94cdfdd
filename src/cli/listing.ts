import {Flags} from '@oclif/core'
import {stripVTControlCharacters} from 'node:util'

import {makeChalk, renderTable} from './output.js'
import {openSink, type Sink} from './pager.js'

/**
 * Lists for people and for scripts, in one place: a boxed table that fits the
 * terminal (free text shrinks first and ends in `…`, addresses are never cut),
 * or tab-separated / CSV rows when piped, paged through $PAGER when longer than
 * the screen. Commands describe columns and rows; this module decides the rest.
 */

export const OUTPUT_FORMATS = ['table', 'tsv', 'csv', 'json'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

/** Flags of every list command. */
export const listFlags = {
  output: Flags.string({char: 'o', options: [...OUTPUT_FORMATS], helpGroup: 'OUTPUT', description: 'table (the default on a terminal), tsv (the default when stdout is not a terminal), csv, or json (as --json)'}),
  'no-headers': Flags.boolean({char: 'H', helpGroup: 'OUTPUT', description: 'leave out the header row; alone, it also means tab-separated rows (script mode, as ndcli -H)'}),
  wide: Flags.boolean({helpGroup: 'OUTPUT', description: 'show every column in full, however wide the terminal'}),
  'no-pager': Flags.boolean({helpGroup: 'OUTPUT', description: 'print straight to the terminal, without $PAGER'}),
}

export interface ListFlagValues {
  output?: string
  'no-headers'?: boolean
  wide?: boolean
  'no-pager'?: boolean
}

/** `--output json` and `-o json` mean --json (decided from argv, as oclif decides --json, before parsing). */
export function outputJsonRequested(argv: string[]): boolean {
  const end = argv.indexOf('--')
  const args = end === -1 ? argv : argv.slice(0, end)
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if ((a === '--output' || a === '-o') && args[i + 1] === 'json') return true
    if (a === '--output=json' || a === '-o=json' || a === '-ojson') return true
  }
  return false
}

export interface ListColumn {
  header: string
  align?: 'left' | 'right'
  /** Free text (names, descriptions, details): shrinks first when the terminal is narrow, cut with `…`. */
  shrink?: boolean
  /** Left out of a table that does not fit otherwise (`--wide`, TSV, CSV and JSON keep it). */
  optional?: boolean
  /** For a free-text cell that begins with an address or range: how much of its start is never cut. */
  keep?: (cell: string) => number
}

/** A cell: plain, or a display form for the table with the value scripts get. */
export type Cell = string | number | bigint | null | undefined | {display: string; value: string | number | bigint | null | undefined}

export interface ListSettings {
  format: Exclude<OutputFormat, 'json'>
  headers: boolean
  wide: boolean
  pager: boolean
  /** Terminal width for tables. */
  width: number
  color: boolean
  /** Table borders in ASCII (--ascii, or a terminal without UTF-8). */
  ascii?: boolean
}

/** Terminal width: COLUMNS when set, else the terminal's; a table written to a file or pipe is not cut. */
export function terminalWidth(env: NodeJS.ProcessEnv = process.env, stream: NodeJS.WriteStream = process.stdout): number {
  const fromEnv = Number(env.COLUMNS)
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv
  if (!stream.isTTY) return Number.POSITIVE_INFINITY
  return stream.columns || 80
}

export function listSettings(flags: ListFlagValues, color: boolean, ascii = false): ListSettings {
  const tty = Boolean(process.stdout.isTTY)
  const format = (flags.output as ListSettings['format'] | undefined) ?? (flags['no-headers'] || !tty ? 'tsv' : 'table')
  return {format, headers: !flags['no-headers'], wide: Boolean(flags.wide), pager: tty && !flags['no-pager'], width: terminalWidth(), color: color && format === 'table', ascii}
}

/** Display width of a cell (escape sequences take none). */
export function displayWidth(text: string): number {
  return [...stripVTControlCharacters(text)].length
}

/** Cuts text to `width` columns, ending in `…` when anything was cut. */
export function cut(text: string, width: number): string {
  if (displayWidth(text) <= width) return text
  const chars = [...stripVTControlCharacters(text)]
  return width <= 0 ? '' : `${chars.slice(0, width - 1).join('')}…`
}

function display(cell: Cell): string {
  const v = cell !== null && typeof cell === 'object' ? cell.display : cell
  return v === null || v === undefined ? '' : String(v).replace(/[\t\r\n]+/g, ' ')
}

function scriptValue(cell: Cell): string {
  const v = cell !== null && typeof cell === 'object' ? cell.value : cell
  return v === null || v === undefined ? '' : stripVTControlCharacters(String(v))
}

/**
 * Column widths that fit `total` columns of screen, given the room each column
 * needs and the room around it: free-text columns give up room first, widest
 * first, down to their header's width, then down to three characters. Other
 * columns (addresses, CIDRs, numbers) keep their room.
 */
export function fitWidths(natural: number[], columns: ListColumn[], total: number, overhead: number, floor: 'header' | 'least' = 'least', kept: number[] = []): number[] {
  const widths = [...natural]
  let excess = widths.reduce((a, b) => a + b, 0) + overhead - total
  const floors: ((i: number) => number)[] = [(i) => Math.max(kept[i] ?? 0, Math.min(natural[i], Math.max(6, displayWidth(columns[i].header))))]
  if (floor === 'least') floors.push((i) => Math.max(kept[i] ?? 0, 3))
  for (const floorOf of floors) {
    while (excess > 0) {
      let widest = -1
      for (let i = 0; i < widths.length; i++) {
        if (columns[i].shrink && widths[i] > floorOf(i) && (widest === -1 || widths[i] > widths[widest])) widest = i
      }
      if (widest === -1) break
      widths[widest]--
      excess--
    }
  }
  return widths
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

/**
 * Which columns a table shows in `total` columns of screen, and how wide: free
 * text shrinks to its header's width first; then optional columns go, the last
 * first (`--wide` shows them); then free text shrinks further.
 */
export function fitTable(natural: number[], columns: ListColumn[], total: number, kept: number[] = []): {shown: number[]; widths: number[]} {
  let shown = columns.map((_, i) => i)
  for (;;) {
    const cols = shown.map((i) => columns[i])
    const nat = shown.map((i) => natural[i])
    const keep = shown.map((i) => kept[i] ?? 0)
    const widths = fitWidths(nat, cols, total, tableOverhead(cols.length), 'header', keep)
    if (sum(widths) + tableOverhead(cols.length) <= total) return {shown, widths}
    const drop = [...shown].reverse().find((i) => columns[i].optional)
    if (drop === undefined) return {shown, widths: fitWidths(nat, cols, total, tableOverhead(cols.length), 'least', keep)}
    shown = shown.filter((i) => i !== drop)
  }
}

/** Room a boxed table takes besides its cells: one space each side of a cell and a border between. */
const tableOverhead = (n: number) => 3 * n + 1

/** The whole list as text (a table, TSV or CSV), rows ending in newlines. */
export function formatList(columns: ListColumn[], rows: Cell[][], s: ListSettings): string {
  if (s.format === 'tsv') {
    const lines = rows.map((r) => r.map((c) => scriptValue(c).replace(/[\t\r\n]+/g, ' ')).join('\t'))
    if (s.headers) lines.unshift(columns.map((c) => c.header).join('\t'))
    return lines.map((l) => `${l}\n`).join('')
  }
  if (s.format === 'csv') {
    const quote = (v: string) => (/[",\r\n]/.test(v) || /^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
    const lines = rows.map((r) => r.map((c) => quote(scriptValue(c))).join(','))
    if (s.headers) lines.unshift(columns.map((c) => quote(c.header)).join(','))
    return lines.map((l) => `${l}\r\n`).join('')
  }
  let cells = rows.map((r) => r.map((c) => display(c)))
  let shownColumns = columns
  if (!s.wide) {
    const natural = columns.map((col, i) => Math.max(s.headers ? displayWidth(col.header) : 0, ...cells.map((r) => displayWidth(r[i] ?? ''))))
    // A kept start and the `…` after it.
    const kept = columns.map((col, i) => (col.keep ? Math.max(0, ...cells.map((r) => Math.min(displayWidth(r[i]), col.keep!(r[i]) + 1))) : 0))
    const {shown, widths} = fitTable(natural, columns, s.width, kept)
    // A free-text column narrower than its header (a very narrow terminal) cuts the header too.
    shownColumns = shown.map((i, k) => (columns[i].shrink ? {...columns[i], header: cut(columns[i].header, widths[k])} : columns[i]))
    cells = cells.map((r) => shown.map((i, k) => (columns[i].shrink ? cut(r[i], widths[k]) : r[i])))
  }
  return `${renderTable(shownColumns, cells, s.color, {headers: s.headers, ascii: s.ascii})}\n`
}

/** Prints a list, through the pager when it is longer than the screen. */
export async function printList(columns: ListColumn[], rows: Cell[][], s: ListSettings): Promise<void> {
  const sink = openSink({page: s.pager})
  await sink.write(formatList(columns, rows, s))
  await sink.end()
}

export interface StreamColumn<T> extends ListColumn {
  value: (item: T) => Cell
}

/**
 * A list printed as rows arrive, for lists that can be huge (`ips list`).
 * Column widths come from the first rows (a screenful or more), so that the
 * Address column is as wide as its widest value; a later, wider address widens
 * its column from there on rather than being cut.
 */
export async function streamList<T>(items: AsyncIterable<T>, columns: StreamColumn<T>[], s: ListSettings, bold: (t: string) => string = (t) => t): Promise<number> {
  const sink = openSink({page: s.pager})
  const it = items[Symbol.asyncIterator]()
  let n = 0
  try {
    let next = await it.next()
    if (s.format !== 'table') {
      let first = true
      while (!next.done && !sink.closed) {
        await sink.write(formatList(columns, [columns.map((c) => c.value(next.value as T))], {...s, headers: first && s.headers}))
        first = false
        n++
        if (!sink.closed) next = await it.next()
      }
      return n
    }
    const head: string[][] = []
    while (!next.done && head.length < 500) {
      head.push(columns.map((c) => display(c.value(next.value as T))))
      next = await it.next()
    }
    if (head.length === 0) return 0
    const allNatural = columns.map((col, i) => Math.max(s.headers ? displayWidth(col.header) : 0, ...head.map((r) => displayWidth(r[i]))))
    // Optional columns go when they hold nothing in the rows seen, then (the last first) while the rest does not fit.
    let keep = columns.map((_, i) => i).filter((i) => s.wide || !columns[i].optional || head.some((r) => r[i] !== ''))
    const room = (idx: number[]) => idx.reduce((sum, i) => sum + allNatural[i], 0) + 2 * (idx.length - 1)
    while (!s.wide && room(keep) > s.width) {
      const drop = [...keep].reverse().find((i) => columns[i].optional)
      if (drop === undefined) break
      keep = keep.filter((i) => i !== drop)
    }
    const shown = keep.map((i) => columns[i])
    const pick = (cells: string[]) => keep.map((i) => cells[i])
    const natural = keep.map((i) => allNatural[i])
    // Aligned columns two spaces apart; the last one needs no padding.
    const widths = s.wide ? natural : fitWidths(natural, shown, s.width, 2 * (shown.length - 1))
    const line = (all: string[]) => {
      const cells = pick(all)
      const out = cells.map((v, i) => {
        let text = shown[i].shrink && !s.wide ? cut(v, widths[i]) : v
        widths[i] = Math.max(widths[i], displayWidth(text))
        if (i < cells.length - 1) text = shown[i].align === 'right' ? text.padStart(widths[i]) : text + ' '.repeat(widths[i] - displayWidth(text))
        return text
      })
      return `${out.join('  ').trimEnd()}\n`
    }
    if (s.headers) await sink.write(bold(line(columns.map((c) => c.header)).trimEnd()) + '\n')
    for (const r of head) {
      if (sink.closed) return n
      await sink.write(line(r))
      n++
    }
    while (!next.done && !sink.closed) {
      await sink.write(line(columns.map((c) => display(c.value(next.value as T)))))
      n++
      if (!sink.closed) next = await it.next()
    }
    return n
  } finally {
    await sink.end()
    // The reader quit the pager before the end: stop quietly, as when `| head` goes away
    // (ending the query cleanly would mean reading every row nobody will see).
    if (sink.closed && sink.quitEarly) process.exit(0)
  }
}

export type {Sink}

/** A table of a `show` or status command (always a table; it fits the terminal as lists do). */
export function formatTable(columns: (string | ListColumn)[], rows: Cell[][], opts: {color: boolean; ascii?: boolean; width?: number}): string {
  const cols = columns.map((c) => (typeof c === 'string' ? {header: c} : c))
  return formatList(cols, rows, {format: 'table', headers: true, wide: false, pager: false, width: opts.width ?? terminalWidth(), color: opts.color, ascii: opts.ascii}).replace(/\n$/, '')
}

/**
 * One line of a `show` command: a label and its value. `shrink` marks free
 * text (names, descriptions, notes), cut with `…` to fit. A list of items
 * (CIDRs, request ids) is given as an array and breaks onto more lines between
 * items, never inside one; other values break between words. Addresses are
 * never cut.
 */
export type Field = [label: string, value: string | number | null | undefined | string[], opts?: {shrink?: boolean; separator?: string}]

/**
 * Label/value lines that fit `width` columns, by the rules of tables: free
 * text shrinks and ends in `…`; everything else keeps every character and
 * goes on to the next line, under its value, when it is too long for one.
 */
export function formatFields(fields: Field[], opts: {color: boolean; width?: number; indent?: string; labelWidth?: number; boldLabels?: boolean}): string {
  const c = makeChalk(opts.color)
  const indent = opts.indent ?? ''
  const labelWidth = opts.labelWidth ?? Math.max(...fields.map(([label]) => displayWidth(label)))
  const room = Math.max(10, (opts.width ?? terminalWidth()) - displayWidth(indent) - labelWidth - 2)
  const under = `${indent}${' '.repeat(labelWidth + 2)}`
  return fields.map(([label, value, o]) => {
    const items = Array.isArray(value) ? value : undefined
    const text = items ? items.join(o?.separator ?? ', ') : value === null || value === undefined ? '' : String(value)
    let lines: string[]
    if (text === '') lines = [c.dim('-')]
    else if (displayWidth(text) <= room) lines = [text]
    else if (o?.shrink) lines = [cut(text.replace(/[\t\r\n]+/g, ' '), room)]
    else if (items) {
      const separator = o?.separator ?? ', '
      const mark = separator.trimEnd()
      lines = wrapItems(items, separator, room - mark.length, mark)
    }
    else lines = wrapItems(text.split(' '), ' ', room)
    const head = `${indent}${opts.boldLabels === false ? label.padEnd(labelWidth) : c.bold(label.padEnd(labelWidth))}  `
    return lines.map((line, i) => (i === 0 ? head : under) + line).join('\n')
  }).join('\n')
}

/**
 * Items on lines no wider than `width`, broken between items, never inside
 * one; `mark` ends a line that the next line continues (the separator's
 * visible part, such as the comma of ", ").
 */
export function wrapItems(items: string[], separator: string, width: number, mark = ''): string[] {
  const lines: string[] = []
  let line = ''
  for (const item of items) {
    if (line !== '' && displayWidth(line) + separator.length + displayWidth(item) > width) {
      lines.push(`${line}${mark}`)
      line = ''
    }
    line = line === '' ? item : `${line}${separator}${item}`
  }
  if (line !== '') lines.push(line)
  return lines
}
