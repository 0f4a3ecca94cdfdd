import {Exit, exitCodeOf, type ExitCode} from './errors.js'
import type {Decision} from '../requests/requests.js'

/** Exit 0 only when every decision succeeded; otherwise the first failure's code. */
export function decisionsExit(results: Decision[]): ExitCode {
  const failed = results.find((r) => !r.ok)
  return failed ? exitCodeOf(failed.kind) : Exit.OK
}

