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

/**
 * An expected failure: carries the documented exit code and a stable `code`
 * string that scripts can match in `--json` output.
 */
export class IpamError extends Error {
  readonly exit: ExitCode
  readonly code: string
  readonly hint?: string
  readonly details?: unknown

  constructor(exit: ExitCode, code: string, message: string, options: {hint?: string; details?: unknown; cause?: unknown} = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'IpamError'
    this.exit = exit
    this.code = code
    this.hint = options.hint
    this.details = options.details
  }
}

export const usage = (message: string, hint?: string) => new IpamError(Exit.USAGE, 'usage', message, {hint})
export const notFound = (message: string, hint?: string) => new IpamError(Exit.NOT_FOUND, 'not_found', message, {hint})
export const conflict = (code: string, message: string, hint?: string, details?: unknown) =>
  new IpamError(Exit.CONFLICT, code, message, {hint, details})
export const databaseError = (code: string, message: string, hint?: string, cause?: unknown) =>
  new IpamError(Exit.DATABASE, code, message, {hint, cause})
export const confirmationRequired = (message: string, hint?: string) =>
  new IpamError(Exit.CONFIRM, 'confirmation_required', message, {hint})
