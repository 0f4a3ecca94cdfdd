import type {Pool} from 'mysql2/promise'

import {conflict, notFound, usage} from '../errors.js'
import {type Tx, withTransaction} from '../db/tx.js'
import {checkEmail, quote} from '../text.js'
import {audit} from './audit.js'
import {ADMIN_ROLE, hashPassword, type User} from './users.js'

export const USER_CLEARABLE = ['password'] as const

function toUser(row: any): User {
  let roles: string[] = []
  try {
    const parsed = typeof row.roles === 'string' ? JSON.parse(row.roles) : row.roles
    roles = Array.isArray(parsed) ? parsed.map(String) : []
  } catch {}
  return {id: Number(row.id), email: row.email, roles, admin: roles.includes(ADMIN_ROLE), hasPassword: Boolean(row.password_hash), createdAt: row.created_at}
}

/**
 * Locks the user's row and, when it is an admin, every admin row: two
 * processes demoting or removing the last two admins at once queue here, and
 * the second sees that only one is left.
 */
async function lockUser(tx: Tx, email: string): Promise<{user: User; admins: number}> {
  const [rows] = await tx.query<any[]>('SELECT id, email, roles, password_hash, created_at FROM auth_user WHERE email = ? FOR UPDATE', [email])
  if (rows.length === 0) throw notFound(`no user with e-mail ${email}`, 'list users with `ipam users list`')
  const user = toUser(rows[0])
  if (!user.admin) return {user, admins: -1}
  const [admins] = await tx.query<any[]>('SELECT id FROM auth_user WHERE JSON_CONTAINS(roles, JSON_QUOTE(?)) FOR UPDATE', [ADMIN_ROLE])
  return {user, admins: admins.length}
}

export interface UserEdit {
  password?: string
  demote?: boolean
  clear?: string[]
}

/** Sets a new password, clears it (`--clear password`: the user can no longer log in) or takes @admin away. */
export async function setUser(pool: Pool, rawEmail: string, input: UserEdit) {
  const email = checkEmail(rawEmail)
  const clear = new Set<string>()
  for (const c of input.clear ?? []) {
    if (!(USER_CLEARABLE as readonly string[]).includes(c)) throw usage(`--clear ${quote(c)}: not a field that can be cleared`, `one of ${USER_CLEARABLE.join(', ')}`)
    clear.add(c)
  }
  if (input.password !== undefined && clear.has('password')) throw usage('a new password and --clear password contradict each other')
  if (input.password !== undefined && input.password.length < 8) throw usage('the password is too short (at least 8 characters)')
  if (input.password !== undefined && input.password.length > 1024) throw usage('the password is too long (at most 1024 characters)')
  if (input.password === undefined && !input.demote && clear.size === 0) throw usage('nothing to change', 'give --password-stdin, --demote or --clear password')
  const hash = input.password === undefined ? undefined : await hashPassword(input.password)
  return withTransaction(pool, async (tx) => {
    const {user, admins} = await lockUser(tx, email)
    const changes: Record<string, {old: unknown; new: unknown}> = {}
    const sets: string[] = []
    const params: unknown[] = []
    if (input.demote && user.admin) {
      if (admins <= 1) throw conflict('last_admin', `${email} is the last @admin and cannot be demoted`, 'promote another user first (`ipam users promote`)')
      const roles = user.roles.filter((r) => r !== ADMIN_ROLE)
      changes.roles = {old: user.roles, new: roles}
      sets.push('roles = ?')
      params.push(JSON.stringify(roles))
    }
    // The hash never goes into the audit log: only whether a password is set.
    if (hash !== undefined) {
      changes.password = {old: user.hasPassword ? 'set' : 'none', new: 'set (changed)'}
      sets.push('password_hash = ?')
      params.push(hash)
    }
    if (clear.has('password') && user.hasPassword) {
      changes.password = {old: 'set', new: 'none'}
      sets.push('password_hash = NULL')
    }
    if (sets.length === 0) return {...user, changed: false, changes}
    await tx.query(`UPDATE auth_user SET ${sets.join(', ')} WHERE id = ?`, [...params, user.id])
    await audit(tx, {action: 'users.set', objectType: 'user', objectId: email, detail: {changes}})
    const [rows] = await tx.query<any[]>('SELECT id, email, roles, password_hash, created_at FROM auth_user WHERE id = ?', [user.id])
    return {...toUser(rows[0]), changed: true, changes}
  })
}

/** Removes a user; the last @admin stays (exit 4). */
export async function removeUser(pool: Pool, rawEmail: string) {
  const email = checkEmail(rawEmail)
  return withTransaction(pool, async (tx) => {
    const {user, admins} = await lockUser(tx, email)
    if (user.admin && admins <= 1) throw conflict('last_admin', `${email} is the last @admin and cannot be removed`, 'promote another user first (`ipam users promote`)')
    await tx.query('DELETE FROM auth_user WHERE id = ?', [user.id])
    await audit(tx, {action: 'users.remove', objectType: 'user', objectId: email, detail: {roles: user.roles}})
    return {removed: user}
  })
}
