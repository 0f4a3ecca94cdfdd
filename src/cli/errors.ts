import type {ErrorKind} from '../errors.js'

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
