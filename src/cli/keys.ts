import {interrupted} from '../errors.js'

// Arrow keys and other escape sequences: ESC [ A is "up", not the key a.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?/g

/**
 * Waits on the terminal for one of `keys` (single lower-case letters, taken
 * in either case) and returns it. Keys that were typed ahead, before the
 * question was on the screen, are discarded: only keys arriving `settleMs`
 * after the call count, when `onReady` runs (it shows the question). Enter never answers (`onEnter` may say so). Ctrl-C,
 * at any time, rejects with `interrupted`.
 */
export function readKey(keys: string[], opts: {onEnter?: () => void; onReady?: () => void; settleMs?: number} = {}): Promise<string> {
  const stdin = process.stdin
  const wasRaw = stdin.isRaw
  // Raw mode: each key arrives as typed, and Ctrl-C arrives as a key (\x03) rather than SIGINT.
  stdin.setRawMode(true)
  return new Promise((resolve, reject) => {
    let ready = false
    const settle = setTimeout(() => {
      ready = true
      opts.onReady?.()
    }, opts.settleMs ?? 150)
    const finish = (done: () => void) => {
      clearTimeout(settle)
      stdin.removeListener('data', onData)
      stdin.removeListener('end', onEnd)
      stdin.setRawMode(wasRaw)
      stdin.pause()
      done()
    }
    const onData = (chunk: Buffer | string) => {
      const text = chunk.toString()
      if (text.includes('\u0003')) return finish(() => reject(interrupted('interrupted')))
      if (!ready) return
      for (const ch of text.replace(ESCAPES, '')) {
        const key = ch.toLowerCase()
        if (keys.includes(key)) return finish(() => resolve(key))
        if (ch === '\r' || ch === '\n') opts.onEnter?.()
      }
    }
    // the terminal went away (a closed session): nobody is left to decide
    const onEnd = () => finish(() => reject(interrupted('the terminal closed')))
    stdin.on('data', onData)
    stdin.once('end', onEnd)
    stdin.resume()
  })
}
