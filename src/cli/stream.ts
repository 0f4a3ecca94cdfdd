import {once} from 'node:events'
import type {ChalkInstance} from 'chalk'

/** Writes to stdout, waiting when the pipe is full, so that memory stays flat. */
export async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain')
}

/**
 * One JSON array on stdout, written item by item. Nothing is written before the
 * first item (or the end) arrives, so that an error in the query (a bad filter,
 * an unknown pool) leaves stdout free for the error document.
 */
export async function streamJsonArray<T>(items: AsyncIterable<T>): Promise<number> {
  const it = items[Symbol.asyncIterator]()
  let next = await it.next()
  let n = 0
  await write('[')
  while (!next.done) {
    await write(`${n === 0 ? '\n' : ',\n'}  ${JSON.stringify(next.value)}`)
    n++
    next = await it.next()
  }
  await write(n === 0 ? ']\n' : '\n]\n')
  return n
}

export interface StreamColumn<T> {
  header: string
  /** 0: the rest of the line. */
  width: number
  value: (item: T) => string | number | null | undefined
}

/** Fixed-width columns, printed as rows arrive (a boxed table would need them all first). */
export async function streamColumns<T>(items: AsyncIterable<T>, columns: StreamColumn<T>[], c: ChalkInstance): Promise<number> {
  const fmt = (cells: string[]) => cells.map((cell, i) => (columns[i].width > 0 ? cell.padEnd(columns[i].width) : cell)).join('  ').trimEnd()
  let n = 0
  for await (const item of items) {
    if (n === 0) await write(`${c.bold(fmt(columns.map((col) => col.header)))}\n`)
    const cells = columns.map((col) => {
      const v = col.value(item)
      return (v === null || v === undefined ? '' : String(v)).replace(/[\n\r\t]/g, ' ')
    })
    await write(`${fmt(cells)}\n`)
    n++
  }
  return n
}
