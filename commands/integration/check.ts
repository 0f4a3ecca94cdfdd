import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {outcome} from '../../src/outcome.js'
import {CONFLICT_COLUMNS, openMaster} from '../../src/cli/master.js'
import {findConflicts, refuseImpossibleJoin, transferPlan} from '../../src/integration/conflicts.js'
import {refuseCnames, systemCnameResolver} from '../../src/integration/dns.js'
import {withCnameOverrides} from '../../src/test-hooks.js'
import {maskedUrl, parseDbUrl} from '../../src/db/url.js'
import {plural} from '../../src/text.js'

export default class IntegrationCheck extends DbCommand<typeof IntegrationCheck> {
  static override summary = 'Dry run of joining this platform to a master: conflicts and what would move'
  static override description = 'Runs the checks setup runs before it asks for the admin: the master host is no DNS alias (CNAME), the master is not this same database (exit 2), not a platform itself, and this database is no master with platforms (exit 4). Exit 0 when the join would be clean, 4 when there are conflicts (same or nested networks, overlapping ranges, same pool names). Changes nothing.'
  static override examples = ['<%= config.bin %> integration check --master mysql://ipam@master.example.com:3306/ipam', 'IPAM_MASTER_PASSWORD=… <%= config.bin %> integration check --master mysql://ipam@master:3306/ipam --json']
  static override flags = {master: Flags.string({required: true, description: 'the master database URL (password in the URL, IPAM_MASTER_PASSWORD or the profile\'s master-password)'})}

  public async run() {
    const db = await this.db()
    await refuseCnames(parseDbUrl(this.flags.master), withCnameOverrides(systemCnameResolver()))
    const master = await openMaster(this.flags.master, (s) => this.addSecret(s), await this.masterPassword(), {json: this.json})
    try {
      const pair = await refuseImpossibleJoin(db, master)
      if (pair.alreadyJoined) {
        if (!this.json) this.out(`This database is already a platform of ${maskedUrl(master.url)}; nothing would move.`)
        return {master: maskedUrl(master.url), clean: true, alreadyJoined: true, conflicts: [], wouldMove: null}
      }
      const conflicts = await findConflicts(db.pool, master.pool)
      const plan = await transferPlan(db.pool)
      const result = {master: maskedUrl(master.url), clean: conflicts.length === 0, conflicts, wouldMove: plan}
      if (!this.json) {
        this.out(`Would move to ${result.master}: ${plural(plan.networks, 'network')}, ${plural(plan.pools, 'pool')}, ${plural(plan.ranges, 'range')}, ${plural(plan.pendingRequests, 'pending request')}, ${plural(plan.addresses, 'address', 'addresses')}.`)
        if (conflicts.length > 0) this.out(this.table(CONFLICT_COLUMNS, conflicts.map((c) => [c.kind, c.platform, c.master])))
        else this.out('No conflicts: `ipam integration setup` can join this platform to the master.')
      }
      if (conflicts.length > 0 && !this.json) this.warnUser(`${plural(conflicts.length, 'conflict')} between this platform and the master: resolve them (rename pools, remove or renumber networks and ranges) and check again`)
      // Conflicts are the check's finding, in text and JSON alike: the report, and exit 4.
      return outcome(result, conflicts.length > 0 ? 'conflict' : undefined)
    } finally {
      await master.close()
    }
  }
}
