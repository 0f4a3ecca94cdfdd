import {timingSafeEqual} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {Pool} from 'mysql2/promise'

import {type ErrorKind, IpamError} from '../errors.js'

/** The one place an error kind becomes an HTTP status for request agents. */
const HTTP_STATUS_OF_KIND: Record<ErrorKind, number> = {
  bug: 500,
  usage: 400,
  'not-found': 404,
  conflict: 409,
  unavailable: 503,
  'needs-confirmation': 400,
  interrupted: 503,
}
import {isConnectionError} from '../db/connect.js'
import type {QueuedBatch} from './notify.js'
import {submitRequest} from './requests.js'

export const MAX_BODY = 16 * 1024

/** Where one HTTP request works, decided per request (a platform may join or leave a master while serve runs). */
export interface IntakeTarget {
  pool: Pool
  /** Called after a request was committed and answered, with the notifications it queued (sends them): the agent never waits on mail. */
  afterSubmit?: (queued: QueuedBatch) => Promise<void>
}

export interface IntakeOptions {
  target: () => Promise<IntakeTarget>
  token?: string
  /** One line per request (stderr). */
  log: (line: string) => void
}

interface Reply {
  status: number
  body: {valid: boolean; message: string}
  /** Notifications the request queued, sent through its target once the reply is out. */
  queued?: {target: IntakeTarget; ids: QueuedBatch}
}

const created: Reply = {status: 200, body: {valid: true, message: 'IP request created'}}
const duplicate: Reply = {status: 409, body: {valid: false, message: 'Failed to create request'}}
const refuse = (status: number, message: string): Reply => ({status, body: {valid: false, message}})

class BodyError extends Error {
  constructor(readonly reply: Reply) {
    super(reply.body.message)
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > MAX_BODY) throw new BodyError(refuse(413, `request body too large (at most ${MAX_BODY} bytes)`))
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new BodyError(refuse(413, `request body too large (at most ${MAX_BODY} bytes)`))
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.includes('\uFFFD')) throw new BodyError(refuse(400, 'request body is not valid UTF-8'))
  return text
}

const FIELDS = ['ip', 'email', 'ipRange', 'region', 'description'] as const

function parseFields(contentType: string, text: string): Record<string, string | undefined> {
  const type = contentType.split(';')[0].trim().toLowerCase()
  let raw: Record<string, unknown>
  if (type === 'application/json') {
    try {
      raw = JSON.parse(text)
    } catch {
      throw new BodyError(refuse(400, 'request body is not valid JSON'))
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new BodyError(refuse(400, 'request body must be a JSON object'))
  } else if (type === 'application/x-www-form-urlencoded' || type === '') {
    raw = {}
    for (const [k, v] of new URLSearchParams(text)) {
      if (k in raw) throw new BodyError(refuse(400, `field ${k} is given twice`))
      raw[k] = v
    }
  } else {
    throw new BodyError(refuse(415, 'send application/x-www-form-urlencoded or application/json'))
  }
  const out: Record<string, string | undefined> = {}
  for (const f of FIELDS) {
    const v = raw[f]
    if (v === undefined || v === null) continue
    if (typeof v !== 'string') throw new BodyError(refuse(400, `field ${f} must be a string`))
    out[f] = v
  }
  return out
}

function tokenOk(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true
  const header = req.headers.authorization ?? ''
  const m = /^Bearer\s+(.+)$/i.exec(header)
  if (!m) return false
  const a = Buffer.from(m[1])
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

async function handleIntake(req: IncomingMessage, opts: IntakeOptions): Promise<Reply> {
  if (!tokenOk(req, opts.token)) return refuse(401, 'missing or wrong bearer token')
  const fields = parseFields(String(req.headers['content-type'] ?? ''), await readBody(req))
  if (!fields.ip) return refuse(400, 'ip is required')
  let target: IntakeTarget
  let queued: QueuedBatch
  try {
    target = await opts.target()
    queued = (await submitRequest(target.pool, {ip: fields.ip, email: fields.email, ipRange: fields.ipRange, region: fields.region, description: fields.description}, {fieldNames: {ipRange: 'ipRange'}})).queued
  } catch (error) {
    if (error instanceof IpamError) {
      if (error.code === 'duplicate_request') return duplicate
      const status = HTTP_STATUS_OF_KIND[error.kind]
      if (status === 503) return refuse(503, 'the address database is not available; try again later')
      return refuse(status, error.message)
    }
    if (isConnectionError(error)) return refuse(503, 'the address database is not available; try again later')
    throw error
  }
  return {...created, queued: {target, ids: queued}}
}

/** The HTTP intake for request agents (SPEC section 6). */
export function createIntakeServer(opts: IntakeOptions): Server {
  return createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now()
    const path = (req.url ?? '/').split('?')[0]
    let reply: Reply
    try {
      if (path === '/healthz') {
        if (req.method !== 'GET' && req.method !== 'HEAD') reply = refuse(405, 'use GET')
        else {
          try {
            await (await opts.target()).pool.query('SELECT 1')
            reply = {status: 200, body: {valid: true, message: 'ok'}}
          } catch {
            reply = refuse(503, 'database unreachable')
          }
        }
      } else if (path === '/v1/agent/ipam/request') {
        reply = req.method === 'POST' ? await handleIntake(req, opts) : refuse(405, 'use POST')
      } else reply = refuse(404, 'not found: POST /v1/agent/ipam/request or GET /healthz')
    } catch (error) {
      reply = error instanceof BodyError ? error.reply : refuse(500, 'internal error')
      if (!(error instanceof BodyError)) opts.log(`error: ${(error as Error).message}`)
    }
    const body = JSON.stringify(reply.body)
    if (reply.status === 405) res.setHeader('Allow', path === '/healthz' ? 'GET, HEAD' : 'POST')
    res.writeHead(reply.status, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...(reply.status === 413 ? {Connection: 'close'} : {})})
    res.end(req.method === 'HEAD' ? undefined : body)
    // Drain what a refused client is still sending, so that the socket closes cleanly.
    req.resume()
    opts.log(`${new Date().toISOString()} ${req.socket.remoteAddress ?? '-'} ${req.method} ${path} ${reply.status} ${Date.now() - started}ms`)
    if (reply.queued && reply.queued.ids.length > 0) await reply.queued.target.afterSubmit?.(reply.queued.ids).catch(() => undefined)
  })
}
