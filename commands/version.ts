import {BaseCommand} from '../src/cli/base.js'
import {globalsNotApplicable} from '../src/cli/flags.js'

export default class Version extends BaseCommand<typeof Version> {
  static override summary = 'Print the version, as --version does'
  static override description = globalsNotApplicable(['db', 'profile'], 'it reads no database')
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json']

  public async run() {
    if (!this.json) this.out(this.config.userAgent)
    return {version: this.config.version, userAgent: this.config.userAgent, node: process.version, platform: process.platform, arch: process.arch}
  }
}
