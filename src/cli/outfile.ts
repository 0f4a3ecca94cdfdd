import {createWriteStream, fstatSync} from 'node:fs'
import {once} from 'node:events'

import {partialFile} from '../interrupt.js'
import {write} from './stream.js'

/** Whether stdout is redirected to a regular file (`> export.csv`), not a terminal or a pipe. */
export function stdoutIsFile(): boolean {
  try {
    return fstatSync(1).isFile()
  } catch {
    return false
  }
}

/**
 * Gives `fn` a `put` that writes to FILE (through FILE.partial, renamed when
 * complete, so an interrupted export never looks whole) or to stdout.
 */
export async function writeOutput<T>(file: string | undefined, fn: (put: (text: string) => Promise<void>) => Promise<T>): Promise<T> {
  if (!file) return fn(write)
  const partial = partialFile(file)
  const out = createWriteStream(partial.path, {mode: 0o644})
  try {
    const result = await fn(async (text) => {
      if (!out.write(text)) await once(out, 'drain')
    })
    out.end()
    await once(out, 'finish')
    await partial.commit()
    return result
  } catch (error) {
    out.destroy()
    await partial.abort()
    throw error
  }
}
