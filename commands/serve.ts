import {once} from 'node:events'
import {Flags} from '@oclif/core'

import {DbCommand} from '../src/cli/db-command.js'
import {notifyAfterCommit} from '../src/cli/notify.js'
import {createIntakeServer} from '../src/requests/http.js'

export default class Serve extends DbCommand<typeof Serve> {
  static override summary = 'Run the HTTP intake for request agents: POST /v1/agent/ipam/request, GET /healthz'
  static override handlesSignals = true
  static override description = 'Binds 127.0.0.1:8080 by default. With IPAM_SERVE_TOKEN set, requests need "Authorization: Bearer <token>". One log line per request on stderr; SIGTERM or SIGINT shuts it down cleanly. On a platform, each request goes where the address space is at that moment (the platform, or its master once joined).'
  static override examples = [
    '<%= config.bin %> serve',
    'IPAM_SERVE_TOKEN=s3cret <%= config.bin %> serve --host 0.0.0.0 --port 9090',
    "curl -s -d ip=192.0.2.50 -d email=alice@example.com http://127.0.0.1:8080/v1/agent/ipam/request",
  ]
  static override flags = {
    host: Flags.string({default: '127.0.0.1', description: 'address to listen on'}),
    port: Flags.integer({default: 8080, min: 0, max: 65535, description: 'port (0: any free one)'}),
  }

  public async run() {
    // Fails now when the database (or, on a platform, its master) cannot be used; afterwards
    // each request decides again, so a join or a removal is followed without a restart.
    await this.session()
    const token = process.env.IPAM_SERVE_TOKEN || undefined
    this.addSecret(token)
    // Mail being sent when a shutdown comes is finished first (each message within its sendTimeout).
    const inFlight = new Set<Promise<unknown>>()
    const server = createIntakeServer({
      target: async () => {
        const {target} = await this.session()
        return {
          pool: target.pool,
          afterSubmit: async (queued) => {
            const sending = notifyAfterCommit(this, target.pool, queued).finally(() => inFlight.delete(sending))
            inFlight.add(sending)
            await sending
          },
        }
      },
      token,
      log: (line) => this.note(line),
    })
    server.listen(this.flags.port, this.flags.host)
    await once(server, 'listening')
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : this.flags.port
    this.note(`ipam serve listening on http://${this.flags.host.includes(':') ? `[${this.flags.host}]` : this.flags.host}:${port}${token ? ' (bearer token required)' : ''}`)
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'))
      process.once('SIGINT', () => resolve('SIGINT'))
    })
    this.note(`${signal}: shutting down`)
    server.close()
    server.closeIdleConnections()
    await once(server, 'close')
    await Promise.allSettled(inFlight)
    return {stopped: true, signal}
  }
}
