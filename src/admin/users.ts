import {randomBytes, scrypt as scryptCb, timingSafeEqual} from 'node:crypto'
import {promisify} from 'node:util'
import type {Pool} from 'mysql2/promise'

import {conflict, notFound, usage} from '../errors.js'
import {withTransaction} from '../db/tx.js'
import {checkEmail} from '../text.js'
import {audit} from './audit.js'

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>
const N = 16_384
const R = 8
const P = 1
const KEYLEN = 32

export const ADMIN_ROLE = '@admin'

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await scrypt(password, salt, KEYLEN, {N, r: R, p: P})
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`
}

export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  if (!stored) return false
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, n, r, p, salt, hash] = parts
  const expected = Buffer.from(hash, 'base64')
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * Number(n) * Number(r)})
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

export interface User {
  id: number
  email: string
  roles: string[]
  admin: boolean
  hasPassword: boolean
  createdAt: string
}

function parseRoles(value: unknown): string[] {
  try {
    const roles = typeof value === 'string' ? JSON.parse(value) : value
    return Array.isArray(roles) ? roles.map(String) : []
  } catch {
    return []
  }
}

function toUser(row: any): User {
  const roles = parseRoles(row.roles)
  return {id: Number(row.id), email: row.email, roles, admin: roles.includes(ADMIN_ROLE), hasPassword: Boolean(row.password_hash), createdAt: row.created_at}
}

export async function listUsers(pool: Pool): Promise<User[]> {
  const [rows] = await pool.query<any[]>('SELECT id, email, roles, password_hash, created_at FROM auth_user ORDER BY email')
  return rows.map(toUser)
}

export async function findUser(pool: Pool, email: string): Promise<(User & {passwordHash: string | null}) | undefined> {
  const [rows] = await pool.query<any[]>('SELECT id, email, roles, password_hash, created_at FROM auth_user WHERE email = ?', [email.trim().toLowerCase()])
  return rows[0] ? {...toUser(rows[0]), passwordHash: rows[0].password_hash} : undefined
}

export async function createUser(pool: Pool, input: {email: string; password?: string; admin?: boolean}): Promise<User> {
  const email = checkEmail(input.email)
  if (input.password !== undefined && input.password.length < 8) throw usage('the password is too short (at least 8 characters)')
  if (input.password !== undefined && input.password.length > 1024) throw usage('the password is too long (at most 1024 characters)')
  const hash = input.password === undefined ? null : await hashPassword(input.password)
  const roles = input.admin ? [ADMIN_ROLE] : []
  return withTransaction(pool, async (tx) => {
    try {
      await tx.query('INSERT INTO auth_user (email, password_hash, roles) VALUES (?, ?, ?)', [email, hash, JSON.stringify(roles)])
    } catch (error) {
      if ((error as {errno?: number}).errno === 1062) throw conflict('duplicate', `a user ${email} already exists`)
      throw error
    }
    const [rows] = await tx.query<any[]>('SELECT id, email, roles, password_hash, created_at FROM auth_user WHERE email = ?', [email])
    await audit(tx, {action: 'users.create', objectType: 'user', objectId: email, detail: {roles}})
    return toUser(rows[0])
  })
}

/** Adds @admin to the user's roles, keeping the others; promoting an admin changes nothing. */
export async function promoteUser(pool: Pool, rawEmail: string): Promise<{user: User; changed: boolean}> {
  const email = checkEmail(rawEmail)
  return withTransaction(pool, async (tx) => {
    const [rows] = await tx.query<any[]>('SELECT id, email, roles, password_hash, created_at FROM auth_user WHERE email = ? FOR UPDATE', [email])
    if (rows.length === 0) throw notFound(`no user with e-mail ${email}`, 'list users with `ipam users list`, or create one with `ipam users create`')
    const user = toUser(rows[0])
    if (user.admin) return {user, changed: false}
    const roles = [...user.roles, ADMIN_ROLE]
    await tx.query('UPDATE auth_user SET roles = ? WHERE id = ?', [JSON.stringify(roles), user.id])
    await audit(tx, {action: 'users.promote', objectType: 'user', objectId: email, detail: {roles}})
    return {user: {...user, roles, admin: true}, changed: true}
  })
}
