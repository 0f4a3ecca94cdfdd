import {Flags} from '@oclif/core'

/** Flags shared by several commands, defined once. */
export const yesFlag = Flags.boolean({char: 'y', description: 'confirm destructive steps without asking (for scripts)'})
export const locationFlag = Flags.string({description: 'a location where it is available (repeatable); none means everywhere', multiple: true})
/** More addresses than this and a destructive command asks for a typed name, as purge does. */
export const TYPED_CONFIRMATION_ABOVE = 1000

export const dryRunFlag = Flags.boolean({description: 'say exactly what would happen (with counts) and change nothing'})
export const asciiFlag = Flags.boolean({description: 'draw bars, maps and table borders with ASCII characters only'})
/** On a joined platform: read this database's own history instead of the master's. */
export const localFlag = Flags.boolean({description: "on a platform joined to a master: read this database's own records instead of the master's"})

/**
 * The sentence a command's --help gives for global flags that mean nothing to
 * it (the README's global flags table says the same); a test walks the
 * manifest and holds every command to either the flag or this sentence.
 */
export function globalsNotApplicable(flags: string[], why: string): string {
  const names = flags.map((f) => `--${f}`)
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
  return `The global ${names.length === 1 ? 'flag' : 'flags'} ${list} ${names.length === 1 ? 'does' : 'do'} not apply: ${why}.`
}
