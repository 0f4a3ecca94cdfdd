import {createRequire} from 'node:module'
import {Chalk, type ChalkInstance} from 'chalk'
import type Table from 'cli-table3'
import type {Ora} from 'ora'

// cli-table3 (and the width and colour packages under it) is loaded when a table is drawn, not at
// every start: JSON and TSV output never need it. A runtime require keeps it out of the bundle.
const requireOnUse = createRequire(import.meta.url)
let tableClass: typeof Table | undefined
const TableClass = () => (tableClass ??= requireOnUse('cli-table3') as typeof Table)

export interface OutputOptions {
  /** --no-color given. */
  noColor?: boolean
  json?: boolean
  /** Overrides for tests; default from the process. */
  stdoutIsTTY?: boolean
  env?: NodeJS.ProcessEnv
}

/** Colour is on only on a terminal, without NO_COLOR and without --no-color. */
export function colorEnabled(opts: OutputOptions): boolean {
  const env = opts.env ?? process.env
  if (opts.noColor || opts.json) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true
  return opts.stdoutIsTTY ?? Boolean(process.stdout.isTTY)
}

export function makeChalk(enabled: boolean): ChalkInstance {
  return new Chalk({level: enabled ? 1 : 0})
}

export interface TableColumn {
  header: string
  align?: 'left' | 'right' | 'center'
}

/** Table borders drawn with ASCII only, for --ascii and terminals without UTF-8. */
const ASCII_BORDERS = {
  top: '-', 'top-mid': '+', 'top-left': '+', 'top-right': '+',
  bottom: '-', 'bottom-mid': '+', 'bottom-left': '+', 'bottom-right': '+',
  left: '|', 'left-mid': '+', mid: '-', 'mid-mid': '+', right: '|', 'right-mid': '+', middle: '|',
}

/** One table style for the whole tool. */
export function renderTable(columns: (string | TableColumn)[], rows: (string | number | null | undefined)[][], color: boolean, opts: {ascii?: boolean; headers?: boolean} = {}): string {
  const cols = columns.map((c) => (typeof c === 'string' ? {header: c} : c))
  const c = makeChalk(color)
  const table = new (TableClass())({
    head: opts.headers === false ? [] : cols.map((col) => c.bold(col.header)),
    colAligns: cols.map((col) => col.align ?? 'left'),
    style: {head: [], border: [], compact: true},
    wordWrap: false,
    ...(opts.ascii ? {chars: ASCII_BORDERS} : {}),
  })
  for (const row of rows) table.push(row.map((v) => (v === null || v === undefined ? '' : String(v))))
  return table.toString()
}

export interface Spinner {
  start(text: string): void
  update(text: string): void
  succeed(text?: string): void
  fail(text?: string): void
  stop(): void
}

const silentSpinner: Spinner = {start() {}, update() {}, succeed() {}, fail() {}, stop() {}}

/**
 * ora, loaded only for a terminal: a started spinner on stderr that leaves
 * stdin alone. ora's default would put the terminal in raw mode to swallow
 * keystrokes, and Ctrl-C typed there would then never become SIGINT.
 */
export async function loadOra(): Promise<(text: string) => Ora> {
  const {default: ora} = await import('ora')
  // Whether to draw is decided by the callers (stderr is a terminal, no --json). ora's own
  // test would also turn the spinner into one static line whenever CI is set in the environment.
  const isEnabled = process.env.TERM !== 'dumb'
  return (text) => ora({text, stream: process.stderr, discardStdin: false, isEnabled}).start()
}

/**
 * A spinner on stderr, only when stderr is a terminal and --json is off. It and
 * src/cli/progress.ts (a spinner with counts) make every spinner with loadOra.
 */
export function makeSpinner(opts: {json?: boolean}): Spinner {
  if (opts.json || !process.stderr.isTTY) return silentSpinner
  let spinner: Ora | undefined
  let wanted: string | undefined
  return {
    start(text) {
      wanted = text
      // ora is loaded only for a terminal; a fast command may finish before it shows.
      loadOra().then((ora) => {
        if (wanted !== undefined) spinner = ora(wanted)
      }, () => undefined)
    },
    update(text) {
      if (wanted !== undefined) wanted = text
      if (spinner) spinner.text = text
    },
    succeed(text) {
      wanted = undefined
      spinner?.succeed(text)
      spinner = undefined
    },
    fail(text) {
      wanted = undefined
      spinner?.fail(text)
      spinner = undefined
    },
    stop() {
      wanted = undefined
      spinner?.stop()
      spinner = undefined
    },
  }
}

/** Whether the terminal can show Unicode block characters. */
export function unicodeTerminal(env: NodeJS.ProcessEnv = process.env): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || ''
  if (/UTF-?8/i.test(locale)) return true
  return locale === '' && process.platform !== 'win32' && env.TERM !== 'linux'
}

export interface BarOptions {
  width?: number
  ascii?: boolean
  color?: boolean
  warn?: number
  critical?: number
}

/** A utilization bar; the percentage is always printed as text too, so it reads the same without colour. */
export function utilizationBar(pct: number, opts: BarOptions = {}): string {
  const width = opts.width ?? 10
  const clamped = Math.max(0, Math.min(100, pct))
  const eighths = Math.round((clamped / 100) * width * 8)
  let bar: string
  if (opts.ascii) {
    const full = Math.round((clamped / 100) * width)
    bar = `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`
  } else {
    const partial = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉']
    const full = Math.floor(eighths / 8)
    const rest = eighths % 8
    bar = `${'█'.repeat(full)}${partial[rest]}${' '.repeat(width - full - (rest > 0 ? 1 : 0))}`
    bar = `▕${bar}▏`
  }
  const c = makeChalk(Boolean(opts.color))
  const paint = clamped >= (opts.critical ?? 95) ? c.red : clamped >= (opts.warn ?? 80) ? c.yellow : c.green
  return `${paint(bar)} ${clamped.toFixed(1).padStart(5)}%`
}

/** Counts for people: exact up to 12 digits, then as a power of two (JSON keeps the exact decimal). */
export function humanCount(value: string | number | bigint): string {
  const n = BigInt(value)
  if (n < 1_000_000_000_000n) return n.toString()
  const bits = n.toString(2).length
  const exact = (n + 1n) === 1n << BigInt(bits) ? `2^${bits}-1` : (n === 1n << BigInt(bits - 1) ? `2^${bits - 1}` : `~2^${Math.round(Math.log2(Number(n)))}`)
  return exact
}
