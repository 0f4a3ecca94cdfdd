import {DbCommand} from '../../src/cli/db-command.js'
import {integrationStatus} from '../../src/integration/manage.js'
import {plural} from '../../src/text.js'
import {connectionWait} from '../../src/cli/progress.js'

export default class IntegrationStatus extends DbCommand<typeof IntegrationStatus> {
  static override summary = 'Say whether this database is standalone, a master (with its platforms) or a platform (of which master, reachable or not)'
  static override examples = ['<%= config.bin %> integration status', '<%= config.bin %> integration status --json']

  public async run() {
    const db = await this.db()
    const password = await this.masterPassword()
    const wait = connectionWait({json: this.json})
    const s = await integrationStatus(db, {masterPassword: password, onAttempt: (where) => wait.attempt(where)}).finally(() => wait.stop())
    if (!this.json) {
      if (s.role === 'standalone') this.out('Standalone: no master, no platforms.')
      else if (s.role === 'master') {
        this.out(`Master of ${plural(s.platforms.length, 'platform')}:`)
        this.out(this.table([{header: 'Platform', shrink: true}, 'Instance id', 'Joined (UTC)', {header: 'By', shrink: true}], s.platforms.map((p) => [p.name, p.instanceId, p.joinedAt.slice(0, 19), p.joinedBy])))
      } else {
        this.out(this.fields([
          ['Role', s.state === 'JOINED' ? 'platform' : 'platform (setup begun, not finished)'],
          ['Master', s.master],
          ['Master reachable', s.reachable ? 'yes' : `no (${s.error})`, {shrink: true}],
          ['Joined', s.joinedAt],
        ]))
      }
    }
    return s
  }
}
