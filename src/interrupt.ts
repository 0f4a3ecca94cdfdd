import {rmSync} from 'node:fs'
import {rename, rm} from 'node:fs/promises'

/**
 * Ctrl-C (SIGINT), a closed SSH session (SIGHUP) or SIGTERM end the command at
 * once. Database changes need nothing here: every one is a transaction, and a
 * connection that goes away before COMMIT is rolled back by the server, so a
 * change is either whole or absent. Files being written are removed by the
 * cleanups registered here.
 */
const cleanups = new Set<() => void>()
let installed = false
/** While a pager shows the output, an interrupt waits for it to be quit (as git does). */
let held: Promise<unknown> | undefined

export function holdExitUntil(promise: Promise<unknown> | undefined): void {
  held = promise
}

const EXIT: Partial<Record<NodeJS.Signals, number>> = {SIGINT: 130, SIGHUP: 129, SIGTERM: 143}

export function installInterruptHandler(): void {
  if (installed) return
  installed = true
  for (const signal of Object.keys(EXIT) as NodeJS.Signals[]) {
    process.on(signal, () => {
      for (const fn of cleanups) {
        try {
          fn()
        } catch {
          // best effort: the exit matters more
        }
      }
      if (held && signal === 'SIGINT') {
        // The pager got the same Ctrl-C; leaving now would hand the terminal back while it still draws.
        held.finally(() => process.exit(EXIT[signal]))
        return
      }
      process.stderr.write(`\nInterrupted (${signal}): nothing was half-written; a change in progress was rolled back.\n`)
      process.exit(EXIT[signal])
    })
  }
}

/** Runs `fn` (synchronous) if the command is interrupted; returns the unregistration. */
export function onInterrupt(fn: () => void): () => void {
  cleanups.add(fn)
  return () => cleanups.delete(fn)
}

/**
 * A file written under FILE.partial and renamed into place only when complete:
 * an interrupted or failed write leaves no truncated FILE behind.
 */
export function partialFile(file: string) {
  const path = `${file}.partial`
  const off = onInterrupt(() => rmSync(path, {force: true}))
  return {
    path,
    async commit() {
      off()
      await rename(path, file)
    },
    async abort() {
      off()
      await rm(path, {force: true})
    },
  }
}
