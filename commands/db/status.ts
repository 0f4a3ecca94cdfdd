import {DbCommand} from '../../src/cli/db-command.js'
import {status} from '../../src/db/admin.js'
import {maskedUrl} from '../../src/db/url.js'

export default class DbStatus extends DbCommand<typeof DbStatus> {
  static override summary = 'Show the schema version and the migrations still pending'
  static override examples = ['<%= config.bin %> db status', '<%= config.bin %> db status --json']

  public async run() {
    const db = await this.db({skipSchemaCheck: true})
    const s = await status(db)
    const out = {database: maskedUrl(db.url), node: db.node, version: s.version, latest: s.latest, upToDate: s.version === s.latest, pending: s.pending, instanceId: s.instanceId ?? null}
    if (!this.json) {
      this.out(this.fields([
        ['Database', out.database],
        ['Schema version', `${s.version} (this ipam: ${s.latest})`],
        ['Instance id', out.instanceId],
        ['Pending', s.pending.length === 0 ? 'none' : s.pending.map((p) => `${p.version} ${p.name}`).join('; ')],
      ]))
      if (s.pending.length > 0) this.note('Run `ipam db migrate` to apply the pending migrations.')
    }
    return out
  }
}
