import {join} from 'node:path'
import {Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base.js'
import {startClusterSandbox, startSandbox} from '../../src/sandbox/sandbox.js'
import {plural} from '../../src/text.js'
import {globalsNotApplicable} from '../../src/cli/flags.js'

export default class SandboxStart extends BaseCommand<typeof SandboxStart> {
  static override summary = 'Start a throwaway local MariaDB/MySQL server, migrated, for trying ipam'
  static override description =
    'Data lives under the user data directory and is removed by `ipam sandbox stop`. Prints the IPAM_DATABASE_URL to use, as an `export` line for eval. With --cluster N it starts an N-node MariaDB Galera cluster on 127.0.0.1 instead (needs the galera-4 and rsync packages; run as root, the nodes run as the mysql user) and the URL lists every node. ' + globalsNotApplicable(['db', 'profile'], 'the sandbox runs a server of its own, under your data directory')
  static override examples = ['eval "$(<%= config.bin %> sandbox start)"', '<%= config.bin %> sandbox start --json', 'eval "$(<%= config.bin %> sandbox start --cluster 3)"']
  static override flags = {
    port: Flags.integer({description: 'TCP port on 127.0.0.1 (default: a free one)', min: 1, max: 65535, exclusive: ['cluster']}),
    cluster: Flags.integer({description: 'start a Galera cluster of this many nodes (3 is the usual)', min: 1, max: 9}),
  }

  public async run() {
    const spinner = this.spinner()
    if (this.flags.cluster) {
      spinner.start(`Starting a ${this.flags.cluster}-node Galera cluster`)
      const result = await startClusterSandbox(join(this.config.dataDir, 'sandbox-cluster'), this.flags.cluster).finally(() => spinner.stop())
      if (!this.json) {
        this.note(result.alreadyRunning ? 'The cluster sandbox is already running.' : `Galera cluster of ${plural(result.nodes.length, 'node')} running (${result.nodes.map((n) => `${n.name} on port ${n.port}`).join(', ')}), data in ${result.dir}.`)
        this.out(`export IPAM_DATABASE_URL=${result.url}`)
        this.note('Stop it and remove its data with: ipam sandbox stop')
      }
      return result
    }
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
