import {SMTPServer} from 'smtp-server'

export interface ReceivedMail {
  from: string
  to: string[]
  subject: string
  raw: string
  /** The body with quoted-printable soft breaks undone. */
  text: string
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives. */
export class TestSmtp {
  readonly received: ReceivedMail[] = []
  private server?: SMTPServer
  port = 0
  /** While true, every message is refused with a permanent 550 at MAIL FROM. */
  refuse = false

  async start(port = 0): Promise<number> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onMailFrom: (_address, _session, callback) => {
        if (this.refuse) return callback(Object.assign(new Error('mailbox unavailable (refused by the test)'), {responseCode: 550}))
        callback()
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8')
          const [head, ...rest] = raw.split(/\r?\n\r?\n/)
          const unfolded = head.replace(/\r?\n[ \t]+/g, ' ')
          const subject = /^Subject: (.*)$/im.exec(unfolded)?.[1] ?? ''
          const text = rest.join('\n\n').replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h) => String.fromCharCode(Number.parseInt(h, 16)))
          this.received.push({from: session.envelope.mailFrom ? (session.envelope.mailFrom as {address: string}).address : '', to: session.envelope.rcptTo.map((r) => r.address), subject, raw, text})
          callback()
        })
      },
    })
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(port, '127.0.0.1', () => resolve())
    })
    this.port = (this.server as unknown as {server: {address(): {port: number}}}).server.address().port
    return this.port
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    this.server = undefined
  }
}

/**
 * A TCP server that accepts connections and then never answers: `silent`
 * says nothing at all; `greets` sends the SMTP greeting, then reads every
 * command and never replies. Neither ever closes a connection.
 */
export class UnansweringSmtp {
  private server?: import('node:net').Server
  private readonly sockets = new Set<import('node:net').Socket>()
  port = 0
  /** Connections accepted so far. */
  connections = 0

  constructor(readonly mode: 'silent' | 'greets') {}

  async start(): Promise<number> {
    const {createServer} = await import('node:net')
    this.server = createServer((socket) => {
      this.connections++
      this.sockets.add(socket)
      socket.on('error', () => undefined)
      socket.on('close', () => this.sockets.delete(socket))
      if (this.mode === 'greets') {
        socket.write('220 test.example ESMTP ready\r\n')
        socket.on('data', () => undefined)
      }
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as {port: number}).port
    return this.port
  }

  /** Open connections (sockets the client has not closed). */
  get open(): number {
    return this.sockets.size
  }

  url(params = ''): string {
    return `smtp://127.0.0.1:${this.port}/${params ? `?${params}` : ''}`
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }
}
