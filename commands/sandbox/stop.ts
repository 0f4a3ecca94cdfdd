import {join} from 'node:path'

import {BaseCommand} from '../../src/cli/base.js'
import {stopClusterSandbox, stopSandbox} from '../../src/sandbox/sandbox.js'
import {globalsNotApplicable} from '../../src/cli/flags.js'

export default class SandboxStop extends BaseCommand<typeof SandboxStop> {
  static override summary = 'Stop the sandbox server (and the cluster sandbox, if any) and remove their data'
  static override description = globalsNotApplicable(['db', 'profile'], 'the sandbox runs a server of its own, under your data directory')
  static override examples = ['<%= config.bin %> sandbox stop']

  public async run() {
    const state = await stopSandbox(join(this.config.dataDir, 'sandbox'))
    const cluster = await stopClusterSandbox(join(this.config.dataDir, 'sandbox-cluster'))
    if (!this.json) {
      if (state) this.out(`Stopped the sandbox server (pid ${state.pid}) and removed its data.`)
      if (cluster) this.out(`Stopped the ${cluster.nodes.length}-node cluster sandbox and removed its data.`)
      if (!state && !cluster) this.out('No sandbox was running.')
    }
    return {stopped: Boolean(state), pid: state?.pid ?? null, clusterStopped: Boolean(cluster)}
  }
}
