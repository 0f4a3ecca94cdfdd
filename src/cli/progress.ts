import type {Ora} from 'ora'

import type {OnProgress, Progress} from '../progress.js'
import {loadOra} from './output.js'

/**
 * Progress of long operations on stderr, on a terminal only (nothing at all
 * when stderr is a pipe or a file, or with --json): one spinner line saying
 * what is done of what, and for how long, e.g.
 *
 *   Writing backup.gz: ip 120,000/1,000,000 rows · 4 s
 *
 * The domain reports through an `onProgress` callback as often as it likes;
 * counts are redrawn at most ten times a second (and as each stage begins and
 * ends), and the clock once a second while nothing else moves.
 */
export interface ProgressLine {
  /** The callback to hand to the domain function; none when nothing is drawn (not a terminal, --json). */
  readonly report?: OnProgress
  /** A new label and a new clock: the next step of the same command. */
  label(text: string): void
  /** Takes the line off the screen until the next draw, so that a note can be written above it. */
  clear(): void
  stop(): void
}

const REDRAW_MS = 100

const silent: ProgressLine = {label() {}, clear() {}, stop() {}}

const count = (n: number) => n.toLocaleString('en-US')

/** "4 s", "2 min 5 s". */
export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000)
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`
}

/** The line's text: label, then stage and counts when there are any, then the time taken so far. */
export function progressText(label: string, p: Progress | undefined, ms: number): string {
  const counts = p?.done === undefined ? '' : `${count(p.done)}${p.total === undefined ? '' : `/${count(p.total)}`} ${p.unit ?? 'rows'}`
  const detail = [p?.stage, counts].filter(Boolean).join(' ')
  return `${label}${detail ? `: ${detail}` : ''} · ${elapsed(ms)}`
}

/** Whether progress is drawn: stderr is a terminal and the output is not JSON. */
export const progressShown = (json: boolean | undefined) => !json && Boolean(process.stderr.isTTY)

/**
 * Starts a progress line labelled `label` (already drawn when this returns, on
 * a terminal). ora leaves stdin alone (see loadOra): Ctrl-C still interrupts.
 */
export async function startProgress(label: string, opts: {json?: boolean} = {}): Promise<ProgressLine> {
  if (!progressShown(opts.json)) return silent
  const ora = await loadOra()
  let started = Date.now()
  let text = label
  let last: Progress | undefined
  let drawn = 0
  let spinner: Ora | undefined = ora(progressText(text, last, 0))
  const draw = () => {
    if (!spinner) return
    drawn = Date.now()
    spinner.text = progressText(text, last, drawn - started)
    spinner.render()
  }
  const clock = setInterval(draw, 1000)
  clock.unref()
  return {
    report(p) {
      // A new stage, or one just finished, is drawn at once (there are a few); counts in between at most every REDRAW_MS.
      const milestone = p.stage !== last?.stage || (p.total !== undefined && p.done === p.total)
      last = p
      if (milestone || Date.now() - drawn >= REDRAW_MS) draw()
    },
    label(next) {
      text = next
      last = undefined
      started = Date.now()
      draw()
    },
    clear() {
      spinner?.clear()
    },
    stop() {
      clearInterval(clock)
      spinner?.stop()
      spinner = undefined
    },
  }
}

/** Runs `work` with a progress line labelled `label`, stopped however the work ends. */
export async function withProgress<T>(label: string, opts: {json?: boolean}, work: (report: OnProgress | undefined, line: ProgressLine) => Promise<T>): Promise<T> {
  const line = await startProgress(label, opts)
  try {
    return await work(line.report, line)
  } finally {
    line.stop()
  }
}

/**
 * A connection that waits says what it waits for: once an attempt has taken
 * more than a second, "connecting to db1:3306 … 10 s" on a terminal, until it
 * succeeds or fails. Nothing otherwise.
 */
export function connectionWait(opts: {json?: boolean; afterMs?: number} = {}): {attempt(where: string): void; stop(): void} {
  if (!progressShown(opts.json)) return {attempt() {}, stop() {}}
  const after = opts.afterMs ?? 1000
  let where = ''
  let since = 0
  let spinner: Ora | undefined
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  const text = () => `connecting to ${where} … ${elapsed(Date.now() - since)}`
  const tick = async () => {
    if (stopped) return
    if (!spinner) {
      const ora = await loadOra().catch(() => undefined)
      if (!ora || stopped) return
      spinner = ora(text())
    } else {
      spinner.text = text()
      spinner.render()
    }
  }
  return {
    attempt(next) {
      where = next
      since = Date.now()
      clearInterval(timer)
      clearTimeout(timer)
      if (spinner) void tick()
      // The first tick after a second, then one a second.
      timer = setTimeout(() => {
        void tick()
        timer = setInterval(() => void tick(), 1000)
        timer.unref()
      }, after)
      timer.unref()
    },
    stop() {
      stopped = true
      clearInterval(timer)
      clearTimeout(timer)
      spinner?.stop()
      spinner = undefined
    },
  }
}
