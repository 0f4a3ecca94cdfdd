import {Args, Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {changeLines, clearFlag} from '../../src/cli/changes.js'
import {locationFlag} from '../../src/cli/flags.js'
import {POOL_CLEARABLE, setPool} from '../../src/space/edit.js'

export default class PoolsSet extends DbCommand<typeof PoolsSet> {
  static override summary = 'Change a pool in place: name, locations, note (audited old → new)'
  static override description = 'A new name must not belong to another pool. --location replaces the list of locations. --clear FIELD empties an optional field; an empty flag value is refused.'
  static override examples = [
    '<%= config.bin %> pools set office --name office-paris',
    '<%= config.bin %> pools set 3 --location paris --note "2nd floor"',
    '<%= config.bin %> pools set office --clear location --json',
  ]
  static override args = {pool: Args.string({required: true, description: 'pool id or name'})}
  /** An empty value is refused by the domain, with a hint naming --clear. */
  static override emptyAllowed = ['name', 'note']
  static override flags = {
    name: Flags.string({description: 'a new name'}),
    location: locationFlag,
    note: Flags.string({description: 'free text'}),
    clear: clearFlag(POOL_CLEARABLE),
  }

  public async run() {
    const db = (await this.session()).target
    const p = await setPool(db.pool, this.args.pool, {name: this.flags.name, locations: this.flags.location, note: this.flags.note, clear: this.flags.clear})
    if (!this.json) {
      if (!p.changed) this.out(`Pool ${p.name}: nothing changed.`)
      else this.out([`Pool ${p.name} (id ${p.id}) changed:`, ...changeLines(p.changes).map((l) => `  ${l}`)].join('\n'))
    }
    return p
  }
}
