import {usage} from '../errors.js'

export interface HostPort {
  host: string
  port: number
}

/** A parsed `mysql://user:password@host:port[,host:port…]/database?socket=…&ssl=…&connect-timeout=…` URL. */
export interface DbUrl {
  user: string
  password?: string
  hosts: HostPort[]
  database?: string
  socket?: string
  /** `true` for TLS with the system CAs, or the path of a CA file. */
  ssl?: true | string
  /** How long one host may take to accept and greet before the next is tried (`?connect-timeout=SECONDS`); 10 s if not given. */
  connectTimeoutMs?: number
}

const DEFAULT_PORT = 3306

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw usage(`invalid percent-encoding in the ${what} of the database URL`)
  }
}

function parseHost(text: string): HostPort {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  const plain = /^([^:]+)(?::(\d+))?$/.exec(text)
  const match = bracketed ?? plain
  if (!match) throw usage(`invalid host "${text}" in the database URL`, 'write host:port, e.g. db1.example.com:3306')
  const port = match[2] === undefined ? DEFAULT_PORT : Number(match[2])
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw usage(`invalid port in the database URL: ${match[2]}`)
  return {host: match[1], port}
}

/** Parses a database URL; never echoes the password in its errors. */
export function parseDbUrl(text: string): DbUrl {
  const m = /^(?:mysql|mariadb):\/\/(.*)$/i.exec(text.trim())
  if (!m) throw usage('the database URL must look like mysql://user:password@host:port/database', 'see `ipam --help` or the README, "Connecting"')
  let rest = m[1]
  let query = ''
  const q = rest.indexOf('?')
  if (q >= 0) {
    query = rest.slice(q + 1)
    rest = rest.slice(0, q)
  }
  const at = rest.lastIndexOf('@')
  const userinfo = at >= 0 ? rest.slice(0, at) : ''
  rest = at >= 0 ? rest.slice(at + 1) : rest
  const slash = rest.indexOf('/')
  const hostPart = slash >= 0 ? rest.slice(0, slash) : rest
  const dbPart = slash >= 0 ? rest.slice(slash + 1) : ''

  const colon = userinfo.indexOf(':')
  const user = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo, 'user name')
  const password = colon >= 0 ? decode(userinfo.slice(colon + 1), 'password') : undefined

  const url: DbUrl = {user: user || 'root', hosts: [], password: password === '' ? undefined : password}
  if (dbPart) url.database = decode(dbPart, 'database name')
  if (url.database !== undefined && !/^[\w$-]{1,64}$/.test(url.database)) {
    throw usage(`invalid database name "${url.database}" in the database URL`)
  }

  for (const [key, value] of new URLSearchParams(query)) {
    if (key === 'socket') url.socket = value
    else if (key === 'ssl') {
      if (value === 'true' || value === '1') url.ssl = true
      else if (value === 'false' || value === '0' || value === '') url.ssl = undefined
      else url.ssl = value
    } else if (key === 'connect-timeout') {
      const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN
      if (!(seconds >= 0.1 && seconds <= 600)) throw usage(`invalid connect-timeout "${value}" in the database URL`, 'give seconds from 0.1 to 600, e.g. ?connect-timeout=3')
      url.connectTimeoutMs = Math.round(seconds * 1000)
    } else throw usage(`unknown database URL option "${key}"`, 'supported: ?socket=/path, ?ssl=true (or ?ssl=/path/to/ca.pem) and ?connect-timeout=SECONDS')
  }

  if (hostPart) url.hosts = hostPart.split(',').map((h) => parseHost(h.trim()))
  if (url.hosts.length === 0 && !url.socket) url.hosts = [{host: 'localhost', port: DEFAULT_PORT}]
  return url
}

function formatHost(h: HostPort): string {
  const host = h.host.includes(':') ? `[${h.host}]` : h.host
  return `${host}:${h.port}`
}

/** The URL as text, with any password replaced by `****`. */
export function maskedUrl(url: DbUrl): string {
  const auth = `${encodeURIComponent(url.user)}${url.password === undefined ? '' : ':****'}@`
  const params = new URLSearchParams()
  if (url.socket) params.set('socket', url.socket)
  if (url.ssl) params.set('ssl', url.ssl === true ? 'true' : url.ssl)
  if (url.connectTimeoutMs !== undefined) params.set('connect-timeout', String(url.connectTimeoutMs / 1000))
  const qs = params.toString()
  return `mysql://${auth}${url.hosts.map(formatHost).join(',')}/${url.database ?? ''}${qs ? `?${qs}` : ''}`
}

/**
 * Masks the password field of every mysql://, mariadb://, smtp:// and smtps:// URL in
 * free text (errors, logs): what lies between `user:` and the URL's last `@`.
 */
export function maskSecretsInText(text: string): string {
  return text.replace(/((?:mysql|mariadb|smtps?):\/\/[^:@/\s]*:)[^\s"'<>]*@/gi, '$1****@')
}
