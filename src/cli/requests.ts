import type {ChalkInstance} from 'chalk'

import type {RequestView} from '../requests/requests.js'
import {type Field, formatFields, terminalWidth} from './listing.js'

/** A coloured status word; the word itself carries the meaning without colour. */
export function statusBadge(status: string, c: ChalkInstance): string {
  if (status === 'PENDING') return c.yellow(status)
  if (status === 'APPROVED') return c.green(status)
  if (status === 'REJECTED') return c.red(status)
  return status
}

/** "3d 4h", "5m": how long ago a UTC timestamp was. */
export function age(utc: string, now = Date.now()): string {
  const then = Date.parse(`${utc.replace(' ', 'T')}Z`)
  if (Number.isNaN(then)) return '?'
  let s = Math.max(0, Math.floor((now - then) / 1000))
  const d = Math.floor(s / 86_400)
  s -= d * 86_400
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  if (d > 0) return `${d}d ${h}h`
  if (h > 0) return `${h}h ${m}m`
  if (m > 0) return `${m}m`
  return `${s}s`
}

/** What stands in the way of approving a request (from `requestConflicts`). */
export interface CardConflicts {
  address: {status: string; assignedTo: string | null} | null
  otherRequests: {id: number}[]
}

/** The triage card of one request: the lines to draw above the key footer, fitting the terminal (as `show` does). */
export function renderRequestCard(r: RequestView, opts: {index: number; total: number; conflicts: CardConflicts; nearby?: {first: string; strip: string}; c: ChalkInstance; width?: number}): string[] {
  const {c, conflicts} = opts
  // Card lines go to stderr: its width, or COLUMNS.
  const fit = (fields: Field[]) => formatFields(fields, {color: false, indent: '  ', labelWidth: 11, boldLabels: false, width: opts.width ?? terminalWidth(process.env, process.stderr)})
  const lines = [
    '',
    c.bold(`Request #${r.id}  (${opts.index + 1} of ${opts.total})`),
    ...fit([
      ['IP', c.bold(r.ip)],
      ['Network', r.network],
      ['Region', r.region, {shrink: true}],
      ['Requester', r.email ?? r.requestedBy, {shrink: true}],
      ['Description', r.description, {shrink: true}],
      ['Age', `${age(r.requestedAt)} (since ${r.requestedAt.slice(0, 19)} UTC)`],
    ]).split('\n'),
  ]
  // The strip of nearby addresses goes under its first address when both do not fit on one line.
  if (opts.nearby) lines.push(...fit([['Nearby', [opts.nearby.first, opts.nearby.strip], {separator: '  '}]]).split('\n'))
  if (conflicts.address) lines.push(c.red(fit([['Conflict', `address already ${conflicts.address.status}${conflicts.address.assignedTo ? ` to ${conflicts.address.assignedTo}` : ''}`, {shrink: true}]])))
  if (conflicts.otherRequests.length > 0) lines.push(c.yellow(fit([['Also wanted', `by ${conflicts.otherRequests.length === 1 ? 'request' : 'requests'} ${conflicts.otherRequests.map((o) => `#${o.id}`).join(', ')}`]])))
  return lines
}

/** The footer naming the keys; Enter is not one of them. */
export function triageFooter(r: RequestView, opts: {unicode: boolean; c: ChalkInstance}): string {
  const sep = opts.unicode ? ' · ' : ' | '
  return `Decide #${r.id}: ${['a approve', 'r reject', 's skip', 'q quit'].map((k) => `${opts.c.bold(k[0])}${k.slice(1)}`).join(sep)}`
}
