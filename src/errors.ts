/**
 * The ground floor: every layer throws these. An error carries a *kind* (what
 * went wrong, in the user's terms), a stable `code` scripts can match, and a
 * hint. How a kind is shown — exit code, HTTP status — is decided once, by the
 * layer that shows it (src/cli/errors.ts, src/requests/http.ts).
 */
export type ErrorKind = 'bug' | 'usage' | 'not-found' | 'conflict' | 'unavailable' | 'needs-confirmation' | 'interrupted'

export class IpamError extends Error {
  readonly kind: ErrorKind
  readonly code: string
  readonly hint?: string
  readonly details?: unknown

  constructor(kind: ErrorKind, code: string, message: string, options: {hint?: string; details?: unknown; cause?: unknown} = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'IpamError'
    this.kind = kind
    this.code = code
    this.hint = options.hint
    this.details = options.details
  }
}

export const usage = (message: string, hint?: string) => new IpamError('usage', 'usage', message, {hint})
export const notFound = (message: string, hint?: string) => new IpamError('not-found', 'not_found', message, {hint})
export const conflict = (code: string, message: string, hint?: string, details?: unknown) =>
  new IpamError('conflict', code, message, {hint, details})
export const databaseError = (code: string, message: string, hint?: string, cause?: unknown) =>
  new IpamError('unavailable', code, message, {hint, cause})
export const confirmationRequired = (message: string, hint?: string) =>
  new IpamError('needs-confirmation', 'confirmation_required', message, {hint})
export const interrupted = (message = 'interrupted: nothing was changed') => new IpamError('interrupted', 'interrupted', message)
