import type {Readable} from 'node:stream'

export interface CsvRecord {
  /** Line where the record starts (1-based). */
  line: number
  fields: string[]
}

/**
 * Streams RFC 4180 records (quoted fields may hold commas, quotes and
 * newlines) from a byte stream, without reading the whole file.
 */
export async function* readCsv(input: Readable): AsyncGenerator<CsvRecord> {
  let field = ''
  let fields: string[] = []
  let inQuotes = false
  let afterQuote = false
  let line = 1
  let recordLine = 1
  let pendingCR = false
  let sawAny = false
  input.setEncoding('utf8')
  for await (const chunk of input as AsyncIterable<string>) {
    const out: CsvRecord[] = []
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]
      if (pendingCR) {
        pendingCR = false
        if (ch === '\n') continue
      }
      if (inQuotes) {
        if (ch === '"') {
          inQuotes = false
          afterQuote = true
        } else {
          if (ch === '\n') line++
          field += ch
        }
        continue
      }
      if (ch === '"') {
        if (afterQuote) {
          field += '"'
          inQuotes = true
          afterQuote = false
        } else if (field === '') {
          inQuotes = true
        } else field += ch
        sawAny = true
        continue
      }
      afterQuote = false
      if (ch === ',') {
        fields.push(field)
        field = ''
        sawAny = true
      } else if (ch === '\n' || ch === '\r') {
        if (ch === '\r') pendingCR = true
        if (sawAny || field !== '') {
          fields.push(field)
          out.push({line: recordLine, fields})
        }
        fields = []
        field = ''
        sawAny = false
        line++
        recordLine = line
      } else {
        field += ch
        sawAny = true
      }
    }
    for (const r of out) yield r
  }
  if (inQuotes) throw Object.assign(new Error(`line ${recordLine}: a quoted field is not closed`), {line: recordLine})
  if (sawAny || field !== '') {
    fields.push(field)
    yield {line: recordLine, fields}
  }
}

export function csvField(value: string | null | undefined): string {
  if (value === null || value === undefined) return ''
  return /[",\n\r]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}
