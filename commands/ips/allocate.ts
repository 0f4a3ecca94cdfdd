import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {notifyAfterCommit} from '../../src/cli/notify.js'
import {allocate, STATUSES} from '../../src/space/addresses.js'
import {addressCount} from '../../src/text.js'

export default class IpsAllocate extends DbCommand<typeof IpsAllocate> {
  static override summary = 'Allocate a given address, or the next free addresses of a pool'
  static override description = 'Next-free takes the lowest free usable address of the pool\'s blocks, skipping network, broadcast, anycast and gateway addresses (also of networks nested in the range) and addresses with a PENDING request. --count N is all or nothing. A given address with a PENDING request is refused unless --force, which rejects the request.'
  static override examples = [
    '<%= config.bin %> ips allocate --pool office --assigned-to alice --assign-type USER',
    '<%= config.bin %> ips allocate --pool vms --count 20 --status RESERVED --json',
    '<%= config.bin %> ips allocate 192.0.2.50 --assigned-to printer-3 --assign-type SERVER --description "3rd floor"',
    '<%= config.bin %> ips allocate 192.0.2.51 --assigned-to bob --force',
  ]
  static override args = {ip: Args.string({description: 'the address to allocate (else --pool)'})}
  static override flags = {
    pool: Flags.string({char: 'p', description: 'pool (id or name) to take the next free address from'}),
    count: Flags.integer({char: 'n', min: 1, max: 1_000_000, description: 'how many next-free addresses (all or nothing)'}),
    status: Flags.string({options: [...STATUSES], default: 'ALLOCATED', description: 'status of the new addresses'}),
    'assigned-to': Flags.string({description: 'who or what the address is for'}),
    'assign-type': Flags.string({description: 'USER, VM, SERVER, …'}),
    description: Flags.string({description: 'free text'}),
    force: Flags.boolean({description: 'a given address with a PENDING request: allocate it anyway and reject the request (its requester is told)'}),
    hostname: Flags.string({description: 'DNS name (RFC 1123; stored lower-case)'}),
    mac: Flags.string({description: 'MAC address, any common notation'}),
  }

  public async run() {
    const db = (await this.session()).target
    const spinner = this.spinner()
    spinner.start(this.args.ip ? `Allocating ${this.args.ip}` : `Allocating ${this.flags.count ?? 1} from pool ${this.flags.pool}`)
    const {queued, ...result} = await allocate(db.pool, {
      address: this.args.ip, pool: this.flags.pool, count: this.flags.count, status: this.flags.status,
      assignedTo: this.flags['assigned-to'], assignType: this.flags['assign-type'], description: this.flags.description, force: this.flags.force, hostname: this.flags.hostname, mac: this.flags.mac,
    }).finally(() => spinner.stop())
    if (!this.json) {
      if (result.addresses.length === 1) this.out(result.addresses[0].address)
      else for (const a of result.addresses) this.out(a.address)
      this.note(`Allocated ${addressCount(result.addresses.length)}${result.pool ? ` from pool ${result.pool}` : ''} as ${this.flags.status}.`)
      for (const id of result.rejectedRequests) this.note(`Rejected request #${id}, which wanted this address.`)
    }
    await notifyAfterCommit(this, db.pool, queued)
    return result
  }
}
