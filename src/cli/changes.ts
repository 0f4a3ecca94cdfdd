import {Flags} from '@oclif/core'

import type {HistoryEntry} from '../admin/history.js'

/** The one clearing convention of every `set` command. */
export const clearFlag = (fields: readonly string[]) =>
  Flags.string({multiple: true, options: [...fields], description: `empty an optional field (repeatable): ${fields.join(', ')}`})

const show = (v: unknown): string => (v === null || v === undefined || (Array.isArray(v) && v.length === 0) ? '-' : Array.isArray(v) ? v.join(', ') : String(v))

/** "field: old → new" lines, one per change. */
export function changeLines(changes: Record<string, {old: unknown; new: unknown}>): string[] {
  return Object.entries(changes).map(([k, c]) => `${k}: ${show(c.old)} → ${show(c.new)}`)
}

/** History rows for a table: when, who, action, what changed. */
export function historyRows(entries: HistoryEntry[]): string[][] {
  return entries.map((e) => [String(e.at).slice(0, 19), e.osUser, e.action, changeLines(e.changes).join('; ') || summary(e.detail)])
}

function summary(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
}
