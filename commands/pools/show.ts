import {Args} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {asciiFlag} from '../../src/cli/flags.js'
import {displayWidth, terminalWidth} from '../../src/cli/listing.js'
import {humanCount, unicodeTerminal, utilizationBar} from '../../src/cli/output.js'
import {utilizationThresholds} from '../../src/admin/settings.js'
import {showPool} from '../../src/space/pools.js'

export default class PoolsShow extends DbCommand<typeof PoolsShow> {
  static override summary = 'Show a pool, its address blocks and their use'
  static override examples = ['<%= config.bin %> pools show office', '<%= config.bin %> pools show 3 --json']
  static override args = {pool: Args.string({required: true, description: 'pool id or name'})}
  static override flags = {ascii: asciiFlag}

  public async run() {
    const db = (await this.session()).target
    const p = await showPool(db.pool, this.args.pool)
    if (!this.json) {
      const t = await utilizationThresholds(db.pool)
      const bar = (pct: number, width = 10) => utilizationBar(pct, {ascii: this.flags.ascii || !unicodeTerminal(), color: this.useColor, width, ...t})
      this.out(this.fields([
        ['Pool', `${p.name} (id ${p.id})`, {shrink: true}],
        ['Locations', p.locations.length > 0 ? p.locations.join(', ') : 'everywhere', {shrink: true}],
        ['Note', p.note, {shrink: true}],
        ['Size', humanCount(p.size)],
        ['Used', `${p.used}: ${p.byStatus.ALLOCATED} allocated, ${p.byStatus.RESERVED} reserved, ${p.byStatus.USED} used`],
        ['Utilization', bar(p.percent)],
      ]))
      const ranges = (barWidth?: number) => this.table(['Range ID', 'Range', {header: 'Network', optional: true}, {header: 'Size', align: 'right'}, {header: 'Used', align: 'right'}, 'Utilization'], p.ranges.map((r) => [r.id, r.range, r.network, humanCount(r.size), r.used, bar(r.percent, barWidth)]))
      if (p.ranges.length > 0) {
        // Addresses are never cut: on a narrow terminal the Network column goes, then the bars get shorter (the percentage stays).
        const wide = ranges()
        const excess = displayWidth(wide.split('\n')[0]) - terminalWidth()
        this.out(`\n${excess > 0 ? ranges(Math.max(3, 10 - excess)) : wide}`)
      }
      else this.note(`No address blocks yet. Add one with: ipam ranges add ${p.name} <range>`)
    }
    return p
  }
}
