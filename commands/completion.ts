import {Args} from '@oclif/core'

import {BaseCommand} from '../src/cli/base.js'
import {completionScript} from '../src/cli/completion.js'
import {globalsNotApplicable} from '../src/cli/flags.js'

export default class Completion extends BaseCommand<typeof Completion> {
  static override enableJsonFlag = false
  static override summary = 'Print a shell script that completes commands, flags and names (pools, networks, pending requests)'
  static override description = 'Names come from the database the shell\'s IPAM_DATABASE_URL or profile points at, when you press Tab. Commands and flags come from oclif\'s autocomplete plugin: run `ipam autocomplete` once first. ' + globalsNotApplicable(['db', 'profile', 'json'], 'it prints a shell script, and the names are read when Tab is pressed')
  static override examples = ['eval "$(<%= config.bin %> completion bash)"   # in ~/.bashrc', 'eval "$(<%= config.bin %> completion zsh)"    # in ~/.zshrc']
  static override args = {shell: Args.string({required: true, options: ['bash', 'zsh'], description: 'your shell'})}

  public async run() {
    this.out(completionScript(this.args.shell as 'bash' | 'zsh', this.config.bin))
  }
}
