import type * as NodePty from 'node-pty'

import {BIN, cleanEnv, tempHome} from './cli.js'

/**
 * node-pty is an optional native module: without it only the terminal tests
 * cannot run. Test files import `hasPty` and mark their PTY tests
 * `it.skipIf(!hasPty)` (or `describe.skipIf`), so that the rest of the file
 * still runs. IPAM_TEST_NO_PTY=1 pretends node-pty is missing (to check that).
 */
const pty: typeof NodePty | undefined = process.env.IPAM_TEST_NO_PTY === '1' ? undefined : await import('node-pty').then((m) => ((m as {default?: typeof NodePty}).default ?? m) as typeof NodePty, () => undefined)

export const hasPty = pty !== undefined

/** Strips ANSI escapes so that tests can look for plain text on the screen. */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[()][0-9A-B]|\u001b[=>]/g, '').replace(/\r/g, '')
}

export interface PtySession {
  /** Everything written to the terminal so far, ANSI stripped. */
  readonly output: string
  /** Waits until the screen shows `text` (or matches the pattern) after the last `expect`. */
  expect(text: string | RegExp, timeoutMs?: number): Promise<void>
  write(data: string): void
  /** Sends Ctrl-C. */
  interrupt(): void
  /** Sends a signal to the process itself (as `kill` would), not a key. */
  signal(name: NodeJS.Signals): void
  exited(): Promise<{code: number; signal?: number}>
}

/** Runs the built CLI on a real pseudo-terminal (stdin, stdout and stderr are all the terminal). */
export function runPty(args: string[], opts: {env?: Record<string, string | undefined>; home?: string; cols?: number; rows?: number} = {}): PtySession {
  if (!pty) throw new Error('node-pty is not available: mark this test it.skipIf(!hasPty)')
  const env = cleanEnv(opts.home ?? tempHome(), {TERM: 'xterm-256color', CI: undefined, ...opts.env}) as Record<string, string>
  const term = pty.spawn(process.execPath, [BIN, ...args], {name: 'xterm-256color', cols: opts.cols ?? 120, rows: opts.rows ?? 40, env})
  // node-pty waits up to 200 ms after the exit for the terminal to report its
  // end (EIO once every byte has been read), then destroys it with whatever is
  // still unread (microsoft/node-pty#72, #726): on a loaded machine the last
  // screenful of a long output was lost that way. Its destroy is held back here
  // until the stream has ended by itself, for 5 s at the most.
  const socket = (term as unknown as {_socket?: {destroy: (...args: unknown[]) => void; once: (e: string, f: () => void) => void}})._socket
  if (socket && typeof socket.destroy === 'function') {
    const destroyNow = socket.destroy.bind(socket)
    let ended = false
    for (const event of ['end', 'close', 'error']) socket.once(event, () => (ended = true))
    socket.destroy = (...args: unknown[]) => {
      // the stream's own end (EIO, with its error) goes through at once; only node-pty's timeout waits
      if (ended || args.length > 0) return destroyNow(...args)
      const started = Date.now()
      const later = () => (ended || Date.now() - started > 5000 ? destroyNow() : void setTimeout(later, 20))
      later()
    }
  }
  let output = ''
  let cursor = 0
  let lastData = Date.now()
  const waiters = new Set<() => void>()
  term.onData((d) => {
    output += d
    lastData = Date.now()
    for (const w of waiters) w()
  })
  // node-pty may report the exit before the last output has been read
  // (microsoft/node-pty#72): the session ends once the terminal has been quiet
  // for 100 ms after the exit (2 s at the most).
  const exit = new Promise<{code: number; signal?: number}>((resolve) => {
    term.onExit((e) => {
      const exitedAt = Date.now()
      const settle = () => {
        const now = Date.now()
        if (now - Math.max(lastData, exitedAt) < 100 && now - exitedAt < 2000) return void setTimeout(settle, 25)
        for (const w of waiters) w()
        resolve({code: e.exitCode, signal: e.signal})
      }
      settle()
    })
  })
  return {
    get output() {
      return plain(output)
    },
    expect(text, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const screen = plain(output).slice(cursor)
          const index = typeof text === 'string' ? screen.indexOf(text) : screen.search(text)
          if (index >= 0) {
            cursor += index + (typeof text === 'string' ? text.length : 1)
            waiters.delete(check)
            clearTimeout(timer)
            resolve()
          }
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out waiting for ${String(text)} on the terminal; it shows:\n${plain(output).slice(cursor)}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    write(data) {
      term.write(data)
    },
    interrupt() {
      term.write('\u0003')
    },
    signal(name) {
      process.kill(term.pid, name)
    },
    exited: () => exit,
  }
}
