import {join} from 'node:path'
import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base.js'
import {startSandbox} from '../../src/sandbox/sandbox.js'

export default class SandboxStart extends BaseCommand<typeof SandboxStart> {
  static override summary = 'Start a throwaway local MariaDB/MySQL server, migrated, for trying ipam'
  static override description = 'Data lives under the user data directory and is removed by `ipam sandbox stop`. Prints the IPAM_DATABASE_URL to use, as an `export` line for eval.'
  static override examples = ['eval "$(<%= config.bin %> sandbox start)"', '<%= config.bin %> sandbox start --json']
  static override flags = {
    port: Flags.integer({description: 'TCP port on 127.0.0.1 (default: a free one)', min: 1, max: 65535}),
  }

  public async run() {
    const spinner = this.spinner()
    spinner.start('Starting the sandbox database server')
    const result = await startSandbox(join(this.config.dataDir, 'sandbox'), {port: this.flags.port}).finally(() => spinner.stop())
    if (!this.json) {
      this.note(result.alreadyRunning ? `The sandbox is already running (pid ${result.pid}).` : `Sandbox ${result.flavor} server running (pid ${result.pid}), data in ${result.dir}.`)
      this.out(`export IPAM_DATABASE_URL=${result.url}`)
      this.note('Stop it and remove its data with: ipam sandbox stop')
    }
    return result
  }
}
