import {chmod, mkdir, open, readFile, rename, stat} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {IpamError, notFound, usage} from '../errors.js'
import {maskedUrl, parseDbUrl} from './url.js'

export const PROFILE_KEYS = ['db', 'smtp-url', 'mail-from', 'master-password'] as const
/** Keys whose value is a secret: never shown, never needed in argv (read from a prompt or stdin). */
export const SECRET_KEYS: readonly ProfileKey[] = ['master-password']
export type ProfileKey = (typeof PROFILE_KEYS)[number]
export type Profile = Partial<Record<ProfileKey, string>>
export interface ProfileFile {
  profiles: Record<string, Profile>
}

export const DEFAULT_PROFILE = 'default'

export function profilePath(configDir: string): string {
  return join(configDir, 'config.json')
}

/**
 * Reads the profile file. A file that group or others can read holds
 * credentials in the open: it is refused, with the command that fixes it.
 */
export async function readProfiles(file: string): Promise<ProfileFile> {
  let mode: number
  try {
    mode = (await stat(file)).mode
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {profiles: {}}
    throw error
  }
  if ((mode & 0o077) !== 0) {
    throw new IpamError('usage', 'insecure_config', `refusing to read ${file}: it is readable by other users (mode ${(mode & 0o777).toString(8)}) and may hold passwords`, {
      hint: `fix it with: chmod 600 ${file}`,
    })
  }
  const text = await readFile(file, 'utf8')
  try {
    const parsed = JSON.parse(text) as ProfileFile
    if (!parsed || typeof parsed !== 'object' || typeof parsed.profiles !== 'object') throw new Error('no "profiles" object')
    return parsed
  } catch (error) {
    throw usage(`${file} is not a valid ipam profile file: ${(error as Error).message}`)
  }
}

/** Writes the file atomically, created with mode 0600 from the start. */
export async function writeProfiles(file: string, data: ProfileFile): Promise<void> {
  await mkdir(dirname(file), {recursive: true, mode: 0o700})
  const tmp = `${file}.${process.pid}.tmp`
  const handle = await open(tmp, 'w', 0o600)
  try {
    await handle.writeFile(`${JSON.stringify(data, null, 2)}\n`)
  } finally {
    await handle.close()
  }
  await chmod(tmp, 0o600)
  await rename(tmp, file)
}

export function checkKey(key: string): ProfileKey {
  if (!(PROFILE_KEYS as readonly string[]).includes(key)) {
    throw usage(`unknown configuration key "${key}"`, `keys: ${PROFILE_KEYS.join(', ')}`)
  }
  return key as ProfileKey
}

export function validateValue(key: ProfileKey, value: string): void {
  if (key === 'db') parseDbUrl(value)
  if (key === 'smtp-url' && !/^smtps?:\/\//i.test(value)) throw usage('smtp-url must look like smtp://user:password@host:port')
  if (key === 'master-password' && value.length === 0) throw usage('master-password is empty')
  if (key === 'mail-from' && !/^[^\s@<>]+@[^\s@<>]+$|<[^\s@<>]+@[^\s@<>]+>$/.test(value)) {
    throw usage(`mail-from "${value}" is not an e-mail address`)
  }
}

/** A value fit to show: URLs with their password masked. */
export function displayValue(key: ProfileKey, value: string): string {
  if (SECRET_KEYS.includes(key)) return '****'
  if (key === 'db') return maskedUrl(parseDbUrl(value))
  if (key === 'smtp-url') return value.replace(/^(smtps?:\/\/[^:@/]*:)[^@]*@/i, '$1****@')
  return value
}

export async function setProfileValue(file: string, profile: string, key: string, value: string): Promise<void> {
  const k = checkKey(key)
  validateValue(k, value)
  const data = await readProfiles(file)
  data.profiles[profile] = {...data.profiles[profile], [k]: value}
  await writeProfiles(file, data)
}

export async function getProfileValue(file: string, profile: string, key: string): Promise<string> {
  const k = checkKey(key)
  const value = (await readProfiles(file)).profiles[profile]?.[k]
  if (value === undefined) throw notFound(`"${k}" is not set in profile "${profile}"`)
  return value
}

export async function unsetProfileValue(file: string, profile: string, key: string): Promise<boolean> {
  const k = checkKey(key)
  const data = await readProfiles(file)
  const current = data.profiles[profile]
  if (!current || current[k] === undefined) return false
  delete current[k]
  if (Object.keys(current).length === 0) delete data.profiles[profile]
  await writeProfiles(file, data)
  return true
}

/**
 * Puts the master's password where routed commands look for it, unless they
 * already find it there (IPAM_MASTER_PASSWORD or the profile). Says where it
 * went, for the operator; the password itself is never in the answer.
 */
export async function keepMasterPassword(configDir: string, profile: string | undefined, password: string, env: NodeJS.ProcessEnv = process.env): Promise<{saved: boolean; where: string}> {
  const name = profile || env.IPAM_PROFILE || DEFAULT_PROFILE
  const file = profilePath(configDir)
  if (env.IPAM_MASTER_PASSWORD === password) return {saved: false, where: 'IPAM_MASTER_PASSWORD'}
  const current = (await readProfiles(file)).profiles[name]?.['master-password']
  if (current === password) return {saved: false, where: `master-password of profile "${name}" in ${file}`}
  await setProfileValue(file, name, 'master-password', password)
  return {saved: true, where: `master-password of profile "${name}" in ${file} (mode 0600${current === undefined ? '' : ', replacing the one it held'})`}
}
