import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {notifyAfterCommit} from '../../src/cli/notify.js'
import {submitRequest} from '../../src/requests/requests.js'

export default class RequestsSubmit extends DbCommand<typeof RequestsSubmit> {
  static override summary = 'File an IP request, as a request agent does (status PENDING, requested by anonymous)'
  static override examples = [
    '<%= config.bin %> requests submit --ip 192.0.2.50 --email alice@example.com --region eu-west --description "build agent"',
    '<%= config.bin %> requests submit --ip 2001:db8::50 --json',
  ]
  static override flags = {
    ip: Flags.string({required: true, description: 'the address wanted'}),
    email: Flags.string({description: 'the requester\'s e-mail (notified of the decision)'}),
    'ip-range': Flags.string({description: 'the range the agent chose from (start-end, CIDR or address)'}),
    region: Flags.string({description: 'the requester\'s region'}),
    description: Flags.string({description: 'what the address is for'}),
  }

  public async run() {
    const db = (await this.session()).target
    const {request: r, queued} = await submitRequest(db.pool, {ip: this.flags.ip, email: this.flags.email, ipRange: this.flags['ip-range'], region: this.flags.region, description: this.flags.description})
    if (!this.json) this.out(`Request #${r.id} for ${r.ip} in ${r.network} is PENDING.`)
    await notifyAfterCommit(this, db.pool, queued)
    return r
  }
}
