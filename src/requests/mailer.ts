import {connect, type Socket} from 'node:net'

import {DEFAULT_PROFILE, profilePath, readProfiles} from '../db/profiles.js'
import {usage} from '../errors.js'

/** How long one message may take, in ms. Each can be set in the SMTP URL (`?sendTimeout=30000`). */
export interface SmtpTimeouts {
  /** TCP connection established. */
  connectionTimeout: number
  /** The server's greeting after connecting. */
  greetingTimeout: number
  /** Silence at any later point. */
  socketTimeout: number
  /** The whole message, whatever the server does; a SENDING claim older than this expires. */
  sendTimeout: number
}

export const DEFAULT_SMTP_TIMEOUTS: SmtpTimeouts = {connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000, sendTimeout: 30_000}

/** Where mail goes: the one description of the SMTP configuration. */
export interface SmtpSettings {
  url: string
  from: string
  timeouts: SmtpTimeouts
  /** The password in the URL (raw and decoded), for masking. */
  secrets: string[]
  /** Where the URL came from, for messages: `IPAM_SMTP_URL` or `profile NAME`. */
  source: string
}

/**
 * SMTP from IPAM_SMTP_URL / IPAM_MAIL_FROM, else the profile's `smtp-url` /
 * `mail-from`; undefined when no SMTP URL is configured anywhere.
 */
export async function resolveSmtp(opts: {configDir: string; profile?: string; env?: NodeJS.ProcessEnv}): Promise<SmtpSettings | undefined> {
  const env = opts.env ?? process.env
  let url = env.IPAM_SMTP_URL || undefined
  let from = env.IPAM_MAIL_FROM || undefined
  let source = 'IPAM_SMTP_URL'
  if (!url || !from) {
    const name = opts.profile || env.IPAM_PROFILE || DEFAULT_PROFILE
    const profile = (await readProfiles(profilePath(opts.configDir))).profiles[name] ?? {}
    if (!url && profile['smtp-url']) {
      url = profile['smtp-url']
      source = `profile ${name}`
    }
    from ||= profile['mail-from']
  }
  if (!url) return undefined
  return smtpSettings(url, from, source)
}

/** Checks an SMTP URL and reads its timeouts. */
export function smtpSettings(url: string, from?: string, source = 'IPAM_SMTP_URL'): SmtpSettings {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw usage(`the SMTP URL (${source}) is not a URL`, 'it must look like smtp://user:password@host:port')
  }
  if (!/^smtps?:$/i.test(parsed.protocol) || !parsed.hostname) throw usage(`the SMTP URL (${source}) must look like smtp://user:password@host:port`)
  const timeouts = {...DEFAULT_SMTP_TIMEOUTS}
  for (const key of Object.keys(timeouts) as (keyof SmtpTimeouts)[]) {
    const value = parsed.searchParams.get(key)
    if (value === null) continue
    if (!/^\d{1,7}$/.test(value) || Number(value) === 0) throw usage(`${key} in the SMTP URL must be a number of milliseconds, not "${value}"`)
    timeouts[key] = Number(value)
  }
  const secrets: string[] = []
  if (parsed.password) {
    secrets.push(parsed.password)
    try {
      secrets.push(decodeURIComponent(parsed.password))
    } catch {}
  }
  return {url, from: from || 'ipam@localhost', timeouts, secrets, source}
}

export interface OutgoingMessage {
  to: string
  subject: string
  text: string
}

/** Why a send failed: `connection` failures (timeouts, refused, closed) mean the next message would fail too. */
export class SendError extends Error {
  constructor(message: string, readonly connection: boolean) {
    super(message)
  }
}

const CONNECTION_CODES = new Set(['ETIMEDOUT', 'ECONNECTION', 'ECONNREFUSED', 'ECONNRESET', 'ESOCKET', 'EDNS', 'ETLS', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE'])

/**
 * Sends one message on a connection of its own, within `sendTimeout` whatever
 * the server does. nodemailer ends a finished connection politely (FIN) and
 * then waits for the server to close its side, which a silent server never
 * does: the socket is opened here and destroyed when the send is over, so no
 * connection outlives its message and the process can exit.
 */
export async function sendMessage(smtp: SmtpSettings, message: OutgoingMessage): Promise<void> {
  // Loaded only when a message is sent: it is large, and most commands send none.
  const {default: nodemailer} = await import('nodemailer')
  const sockets = new Set<Socket>()
  const {connectionTimeout, greetingTimeout, socketTimeout, sendTimeout} = smtp.timeouts
  const transport = nodemailer.createTransport({
    url: smtp.url,
    connectionTimeout,
    greetingTimeout,
    socketTimeout,
    pool: false,
    getSocket(options: {host?: string; port?: number; secure?: boolean}, callback: (error: Error | null, socket?: {connection: Socket}) => void) {
      const socket = connect({host: options.host ?? 'localhost', port: options.port ?? (options.secure ? 465 : 587)})
      sockets.add(socket)
      const fail = (error: Error) => {
        clearTimeout(timer)
        socket.destroy()
        callback(Object.assign(error, {code: (error as NodeJS.ErrnoException).code ?? 'ECONNECTION'}))
      }
      const timer = setTimeout(() => fail(Object.assign(new Error('Connection timeout'), {code: 'ETIMEDOUT'})), connectionTimeout)
      socket.once('error', fail)
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.removeListener('error', fail)
        callback(null, {connection: socket})
      })
    },
  } as Parameters<typeof nodemailer.createTransport>[0])
  let deadline: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      transport.sendMail({from: smtp.from, to: message.to, subject: message.subject, text: message.text}),
      new Promise((_resolve, reject) => {
        deadline = setTimeout(() => reject(Object.assign(new Error(`no answer within ${sendTimeout} ms (sendTimeout)`), {code: 'ETIMEDOUT'})), sendTimeout)
      }),
    ])
  } catch (error) {
    const e = error as Error & {code?: string; responseCode?: number}
    throw new SendError(e.message ?? String(error), e.code !== undefined && CONNECTION_CODES.has(e.code) && !e.responseCode)
  } finally {
    clearTimeout(deadline)
    transport.close()
    for (const s of sockets) s.destroy()
  }
}
