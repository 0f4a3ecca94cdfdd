import type {ErrorKind} from './errors.js'

const FAILED = Symbol('ipam.failed')

/**
 * A result some of whose parts failed while the rest stand (several ids
 * decided, a triage interrupted, messages the server refused). It is returned,
 * not thrown, so that the output shows every part; `failed` is the kind of the
 * first failure, which the CLI turns into the exit code. A symbol key, so that
 * it never shows in the JSON output.
 */
export type Outcome<T extends object> = T & {readonly [FAILED]?: ErrorKind}

export function outcome<T extends object>(value: T, failed: ErrorKind | undefined): Outcome<T> {
  return failed === undefined ? value : Object.assign(value, {[FAILED]: failed})
}

/** The failure kind an outcome carries, if any. */
export function failureOf(value: unknown): ErrorKind | undefined {
  return value !== null && typeof value === 'object' ? (value as {[FAILED]?: ErrorKind})[FAILED] : undefined
}
