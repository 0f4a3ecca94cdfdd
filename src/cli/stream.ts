import {once} from 'node:events'

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
