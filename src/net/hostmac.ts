import {usage} from '../errors.js'
import {quote} from '../text.js'

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/**
 * An RFC 1123 host name: dot-separated labels of letters, digits and hyphens
 * (1-63 characters, no hyphen at either end), at most 253 characters in all.
 * One trailing dot (the DNS root) is accepted and dropped; stored lower-case.
 */
export function checkHostname(value: string): string {
  const name = value.endsWith('.') && value.length > 1 ? value.slice(0, -1) : value
  const lower = name.toLowerCase()
  if (lower.length === 0 || lower.length > 253) throw usage(`hostname ${quote(value)} is not a DNS name: ${lower.length === 0 ? 'it is empty' : `it has ${lower.length} characters (at most 253)`}`)
  const bad = lower.split('.').find((label) => !LABEL.test(label))
  if (bad !== undefined) {
    throw usage(`hostname ${quote(value)} is not a DNS name (RFC 1123): label ${quote(bad)} ${bad === '' ? 'is empty' : bad.length > 63 ? 'is longer than 63 characters' : 'may hold only letters, digits and inner hyphens'}`, 'e.g. printer-3.example.com')
  }
  return lower
}

/**
 * A MAC address (EUI-48) in any common notation — 00:1A:2b:3c:4d:5e,
 * 00-1a-2b-3c-4d-5e, 001a.2b3c.4d5e, 001a2b3c4d5e — as lower-case hex pairs
 * joined by colons.
 */
export function checkMac(value: string): string {
  const v = value.trim()
  const forms = [/^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/i, /^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i, /^[0-9a-f]{12}$/i]
  if (!forms.some((f) => f.test(v))) throw usage(`MAC address ${quote(value)} is malformed`, 'e.g. 00:1a:2b:3c:4d:5e, 00-1A-2B-3C-4D-5E, 001a.2b3c.4d5e or 001a2b3c4d5e')
  const hex = v.replace(/[:.-]/g, '').toLowerCase()
  return hex.match(/../g)!.join(':')
}

/** The hex digits a partial MAC typed for a search might stand for, in the stored notation ("001A2B" -> "00:1a:2b"). */
export function macSearchPrefix(text: string): string | undefined {
  const t = text.trim()
  if (!/^[0-9a-f]{2}(?:[:.-]?[0-9a-f]{1,2})*$/i.test(t) && !/^[0-9a-f]{4}(?:\.[0-9a-f]{0,4})*$/i.test(t)) return undefined
  const hex = t.replace(/[:.-]/g, '').toLowerCase()
  if (hex.length < 4 || hex.length > 12) return undefined
  return hex.match(/..?/g)!.join(':')
}
