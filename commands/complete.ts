import {Args} from '@oclif/core'

import {DbCommand} from '../src/cli/db-command.js'
import {completionNames} from '../src/cli/completion-names.js'

/** Candidates for shell completion, one a line; silent on any error (a Tab must never print a message). */
export default class Complete extends DbCommand<typeof Complete> {
  static override hidden = true
  static override enableJsonFlag = false
  static override summary = 'Names for shell completion (used by `ipam completion`)'
  static override examples = ['<%= config.bin %> complete pools']
  static override args = {kind: Args.string({required: true, options: ['pools', 'networks', 'requests']})}

  public async run() {
    const db = (await this.session()).target
    const names = await completionNames(db.pool, this.args.kind as 'pools' | 'networks' | 'requests')
    if (names.length > 0) this.out(names.join('\n'))
  }

  public override async catch(): Promise<void> {
    process.exitCode = 1
  }
}
