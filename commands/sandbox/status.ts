import {join} from 'node:path'

import {BaseCommand} from '../../src/cli/base.js'
import {sandboxStatus} from '../../src/sandbox/sandbox.js'

export default class SandboxStatus extends BaseCommand<typeof SandboxStatus> {
  static override summary = 'Say whether the sandbox server is running, and its URL'
  static override examples = ['<%= config.bin %> sandbox status']

  public async run() {
    const s = await sandboxStatus(join(this.config.dataDir, 'sandbox'))
    if (!this.json) {
      this.out(s.running ? this.fields([['Status', 'running'], ['PID', s.pid], ['URL', s.url], ['Data', s.dir]]) : 'The sandbox is not running. Start it with: ipam sandbox start')
    }
    return s
  }
}
