import {usage} from './errors.js'

/** Control characters shown as \xNN, so that no text can drive the terminal; line breaks kept when asked. */
export function escapeControl(text: string, opts: {keepNewlines?: boolean} = {}): string {
  const control = opts.keepNewlines ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g : /[\u0000-\u001f\u007f-\u009f]/g
  return text.replace(control, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/**
 * Shows a user's value in a message, in double quotes, without letting it break
 * the terminal: a backslash or quote typed by the user is escaped (`\\`, `\"`),
 * a control character is escaped once (`\x1b`), so the two read differently.
 */
export function quote(value: string, max = 60): string {
  const cut = [...value].length > max ? `${[...value].slice(0, max).join('')}…` : value
  return `"${escapeControl(cut.replace(/[\\"]/g, (ch) => `\\${ch}`))}"`
}

/** "1 address", "2 addresses": a count with its noun in the right number. */
export function plural(count: number | bigint | string, one: string, many = `${one}s`): string {
  return `${count} ${BigInt(count) === 1n ? one : many}`
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

/** Free text (names, notes, descriptions): bounded length, no control characters but newline and tab. */
export function checkText(field: string, value: string | undefined, max: number, opts: {multiline?: boolean} = {}): string | undefined {
  if (value === undefined) return undefined
  if (value.length > max) throw usage(`${field} ${quote(value)} is too long (${value.length} characters; at most ${max})`)
  if (CONTROL.test(value) || (!opts.multiline && /[\n\t]/.test(value))) throw usage(`${field} ${quote(value)} contains control characters`)
  return value
}

/** A short identifier-like value (assign type, location, region). */
export function checkWord(field: string, value: string | undefined, max = 64): string | undefined {
  if (value === undefined) return undefined
  checkText(field, value, max)
  if (value.trim() === '' || value !== value.trim()) throw usage(`${field} ${quote(value)} is empty or has surrounding spaces`)
  return value
}

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

export function checkEmail(value: string, field = 'e-mail address'): string {
  const email = value
  if (email.length > 254 || !EMAIL.test(email) || email.split('@')[0].length > 64) throw usage(`${field} ${quote(value)} is not a valid e-mail address`)
  return email.toLowerCase()
}

/** A row id typed by a user: digits, small enough to be exact in JavaScript. */
export function isIdText(text: string): boolean {
  return /^\d{1,15}$/.test(text)
}

/** "1 address", "2 addresses" (a count may be a decimal string, for IPv6). */
export function addressCount(n: number | bigint | string): string {
  return plural(n, 'address', 'addresses')
}

/** "1 range", "2 ranges". */
export function rangeCount(n: number): string {
  return plural(n, 'range')
}

/** "1 PENDING request", "2 PENDING requests". */
export function requestCount(n: number): string {
  return plural(n, 'PENDING request')
}
