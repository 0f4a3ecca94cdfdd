import {join} from 'node:path'

import {BaseCommand} from '../../src/cli/base.js'
import {stopSandbox} from '../../src/sandbox/sandbox.js'

export default class SandboxStop extends BaseCommand<typeof SandboxStop> {
  static override summary = 'Stop the sandbox server and remove its data'
  static override examples = ['<%= config.bin %> sandbox stop']

  public async run() {
    const state = await stopSandbox(join(this.config.dataDir, 'sandbox'))
    if (!this.json) this.out(state ? `Stopped the sandbox server (pid ${state.pid}) and removed its data.` : 'No sandbox was running.')
    return {stopped: Boolean(state), pid: state?.pid ?? null}
  }
}
