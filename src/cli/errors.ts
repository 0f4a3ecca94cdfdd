import {type ErrorKind, IpamError} from '../errors.js'
import {mapDriverError} from '../db/connect.js'
import {escapeControl} from '../text.js'
import {makeChalk} from './output.js'

/** Exit codes of SPEC section 9. */
export const Exit = {
  OK: 0,
  BUG: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  DATABASE: 5,
  CONFIRM: 6,
  INTERRUPTED: 130,
} as const
export type ExitCode = (typeof Exit)[keyof typeof Exit]

const EXIT_OF_KIND: Record<ErrorKind, ExitCode> = {
  bug: Exit.BUG,
  usage: Exit.USAGE,
  'not-found': Exit.NOT_FOUND,
  conflict: Exit.CONFLICT,
  unavailable: Exit.DATABASE,
  'needs-confirmation': Exit.CONFIRM,
  interrupted: Exit.INTERRUPTED,
}

/** The one place an error kind becomes an exit code. */
export const exitCodeOf = (kind: ErrorKind | undefined): ExitCode => (kind ? EXIT_OF_KIND[kind] : Exit.BUG)

/**
 * Messages can carry a user's value (oclif's parse errors quote it raw): control
 * characters are shown escaped, so that no value can drive the terminal, and a
 * huge value is cut short.
 */
export function printable(text: string, max = 2000): string {
  const clean = escapeControl(text, {keepNewlines: true})
  return clean.length > max ? `${clean.slice(0, max)}… (${clean.length - max} more characters)` : clean
}

/** Maps anything thrown to an IpamError with the documented exit code. */
export function toIpamError(error: unknown): IpamError {
  if (error instanceof IpamError) return error
  const err = error as Error & {oclif?: {exit?: number}; code?: string; name?: string}
  if (err?.name === 'ExitPromptError') return new IpamError('interrupted', 'interrupted', 'interrupted: nothing was changed')
  if (err?.oclif?.exit === 2 || err?.name === 'CLIParseError' || /^(Unexpected argument|Missing required|Expected|Nonexistent flag|Parsing)/.test(err?.message ?? '')) {
    // oclif puts the reason on the lines after "Parsing --flag": keep them, one line, without the help pointer.
    const lines = (err.message ?? 'invalid usage').split('\n').map((l) => l.trim()).filter((l) => l && !/^See more help/.test(l) && !/^The following errors? occurred:?$/.test(l))
    return new IpamError('usage', 'usage', lines.join(': ').replace(/^Error: /, '').replace(/:\s*:/g, ':'), {hint: 'see --help for usage'})
  }
  const mapped = mapDriverError(error)
  if (mapped instanceof IpamError) return mapped
  return new IpamError('bug', 'unexpected', `unexpected error: ${err?.message ?? String(error)}`, {cause: error})
}

/**
 * What a failed command prints: `{error: {code, message, hint?, details?}}`
 * under --json, "Error: …" and "Hint: …" lines on stderr otherwise; the exit
 * code comes from the error's kind. Values typed on the command line are
 * masked (`mask`) and control characters escaped.
 */
export function reportError(
  error: unknown,
  opts: {json: boolean; color: boolean; verbose: boolean; description?: string; mask: (text: string) => string},
): {exit: ExitCode; json: {error: {code: string; message: string; hint?: string; details?: unknown}}; text: string} {
  let e = toIpamError(error)
  // `ipam sandbox status --db …`: say why this command has no such flag, as its --help does.
  const given = /^Nonexistent flags?: (--[\w-]+)/.exec(e.message)?.[1]
  const why = /The global flags? [^:]* do(?:es)? not apply: [^.]+\./.exec(opts.description ?? '')?.[0]
  if (given && why?.includes(given)) e = new IpamError('usage', e.code, e.message, {hint: why})
  const message = printable(opts.mask(e.message))
  const hint = e.hint ? printable(opts.mask(e.hint)) : undefined
  const body: {code: string; message: string; hint?: string; details?: unknown} = {code: e.code, message}
  if (hint) body.hint = hint
  if (e.details !== undefined) body.details = e.details
  const c = makeChalk(opts.color)
  let text = `${c.red('Error:')} ${message}\n`
  if (hint) text += `${c.dim('Hint:')} ${hint}\n`
  if (e.kind === 'bug') {
    const stack = (error as Error)?.stack ?? String(error)
    text += opts.verbose ? `${opts.mask(String(stack))}\n` : 'This is a bug in ipam; run again with --verbose for details.\n'
  }
  return {exit: exitCodeOf(e.kind), json: {error: body}, text}
}

/** `--email "$EMAIL"` with the variable unset: say so rather than act as if the flag were absent. */
export function emptyFlagCheck(defs: Record<string, unknown>, values: Record<string, unknown>, allowed: string[], id: string | undefined): void {
  for (const [name, def] of Object.entries(defs)) {
    if ((def as {type?: string}).type === 'option' && values[name] === '' && !allowed.includes(name)) {
      throw new IpamError('usage', 'usage', `--${name} is empty`, {hint: `leave the flag out, or give it a value (see ${id?.replace(/:/g, ' ')} --help)`})
    }
  }
}
