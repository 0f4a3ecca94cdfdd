import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {locationFlag} from '../../src/cli/flags.js'
import {addPool} from '../../src/space/pools.js'

export default class PoolsAdd extends DbCommand<typeof PoolsAdd> {
  static override summary = 'Add an address pool'
  static override examples = ['<%= config.bin %> pools add office --location paris --note "desk phones and laptops"', '<%= config.bin %> pools add vms-v6 --json']
  static override args = {name: Args.string({required: true, description: 'unique pool name'})}
  static override flags = {location: locationFlag, note: Flags.string({description: 'free text'})}

  public async run() {
    const db = (await this.session()).target
    const p = await addPool(db.pool, {name: this.args.name, note: this.flags.note, locations: this.flags.location})
    if (!this.json) this.out(`Added pool ${p.name} (id ${p.id}). Give it addresses with: ipam ranges add ${p.name} <range>`)
    return p
  }
}
