import {join} from 'node:path'

import {BaseCommand} from '../../src/cli/base.js'
import {clusterSandboxStatus, sandboxStatus} from '../../src/sandbox/sandbox.js'
import {globalsNotApplicable} from '../../src/cli/flags.js'

export default class SandboxStatus extends BaseCommand<typeof SandboxStatus> {
  static override summary = 'Say whether the sandbox server (and the cluster sandbox) is running, and its URL'
  static override description = globalsNotApplicable(['db', 'profile'], 'the sandbox runs a server of its own, under your data directory')
  static override examples = ['<%= config.bin %> sandbox status']

  public async run() {
    const s = await sandboxStatus(join(this.config.dataDir, 'sandbox'))
    const cluster = await clusterSandboxStatus(join(this.config.dataDir, 'sandbox-cluster'))
    if (!this.json) {
      this.out(s.running ? this.fields([['Status', 'running'], ['PID', s.pid], ['URL', s.url], ['Data', s.dir]]) : 'The sandbox is not running. Start it with: ipam sandbox start')
      if (cluster.nodes.length > 0) {
        this.out('')
        this.out(this.fields([['Cluster', cluster.running ? 'running' : 'stopped'], ['URL', cluster.url], ['Data', cluster.dir]]))
        this.out(this.table(['Node', 'Port', 'PID', 'Running'], cluster.nodes.map((n) => [n.name, n.port, n.pid, n.running ? 'yes' : 'no'])))
      }
    }
    // For scripts: exit 3 (not found) when no sandbox runs.
    if (!s.running && !cluster.running) process.exitCode = 3
    return {...s, cluster}
  }
}
