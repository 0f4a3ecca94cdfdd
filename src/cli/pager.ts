import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'

import {holdExitUntil} from '../interrupt.js'

/**
 * Output that goes through $PAGER when it is longer than the screen, as git and
 * psql do. Text is held back until it fills a screen; shorter output is printed
 * straight, so that a three-row list never starts a pager.
 */
export interface Sink {
  write(text: string): Promise<void>
  /** Flushes, and waits for the pager to be quit. */
  end(): Promise<void>
  /** The pager is gone: stop producing. */
  readonly closed: boolean
  /** It went before it had been given everything (the reader quit early). */
  readonly quitEarly: boolean
}

/** The pager command: IPAM_PAGER, then PAGER, then `less -FRX`; empty or `cat` means none. */
export function pagerCommand(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const cmd = (env.IPAM_PAGER ?? env.PAGER ?? 'less -FRX').trim()
  return cmd === '' || cmd === 'cat' ? undefined : cmd
}

function screenRows(): number {
  const fromEnv = Number(process.env.LINES)
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv
  return process.stdout.rows || 24
}

async function writeTo(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await Promise.race([once(stream, 'drain'), once(stream, 'close'), once(stream, 'error')])
}

export function openSink(opts: {page: boolean}): Sink {
  const command = opts.page ? pagerCommand() : undefined
  const limit = screenRows() - 1
  let held: string[] | undefined = command ? [] : undefined
  let lines = 0
  let pager: ChildProcess | undefined
  let exited: Promise<unknown> | undefined
  let closed = false
  let ended = false

  const start = async (): Promise<void> => {
    // A plain command runs without a shell, so that a missing pager is noticed (and skipped).
    const plainWords = /^[\w@%+=:,./ -]+$/.test(command!) ? command!.split(/\s+/) : undefined
    const env = {...process.env, LESS: process.env.LESS ?? 'FRX', LV: process.env.LV ?? '-c'}
    const child = plainWords ? spawn(plainWords[0], plainWords.slice(1), {stdio: ['pipe', 'inherit', 'inherit'], env}) : spawn(command!, {shell: true, stdio: ['pipe', 'inherit', 'inherit'], env})
    const started = await Promise.race([once(child, 'spawn').then(() => true), once(child, 'error').then(() => false)])
    if (!started) return
    pager = child
    exited = new Promise((resolve) => child.on('close', resolve))
    // Ctrl-C while paging belongs to the pager: the command ends when the pager is quit.
    holdExitUntil(exited)
    child.stdin!.on('error', () => {
      closed = true
    })
    child.on('close', () => {
      closed = true
    })
  }

  const flushHeld = async () => {
    const text = held!.join('')
    held = undefined
    await start()
    if (pager) await writeTo(pager.stdin!, text)
    else await writeTo(process.stdout, text)
  }

  return {
    get closed() {
      return closed
    },
    get quitEarly() {
      return closed && !ended
    },
    async write(text) {
      if (closed) return
      if (held) {
        held.push(text)
        for (const ch of text) if (ch === '\n') lines++
        if (lines > limit) await flushHeld()
        return
      }
      await writeTo(pager ? pager.stdin! : process.stdout, text)
    },
    async end() {
      if (held) {
        const text = held.join('')
        held = undefined
        await writeTo(process.stdout, text)
        return
      }
      if (pager) {
        ended = !closed
        pager.stdin!.end()
        await exited
        // A Ctrl-C typed just before the q that quit the pager may be handled in the same turn
        // of the event loop as the pager's exit: the hold stays until that turn is over.
        await new Promise((resolve) => setImmediate(resolve))
        holdExitUntil(undefined)
      }
    },
  }
}
