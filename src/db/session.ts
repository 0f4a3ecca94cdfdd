import type {Database} from './connect.js'

/**
 * Where a command works, said out loud instead of swapped behind its back:
 * `local` is the database the command connected to; `target` is where the
 * address space and the requests live — the master of a joined platform,
 * else `local` itself.
 */
export interface Session {
  local: Database
  target: Database
  /** The master's URL (password masked) when `target` is a platform's master. */
  master?: string
}

export const localSession = (local: Database): Session => ({local, target: local})
