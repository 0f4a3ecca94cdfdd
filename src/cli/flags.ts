import {Flags} from '@oclif/core'

/** Flags shared by several commands, defined once. */
export const yesFlag = Flags.boolean({char: 'y', description: 'confirm destructive steps without asking (for scripts)'})
export const locationFlag = Flags.string({description: 'a location where it is available (repeatable); none means everywhere', multiple: true})
/** More addresses than this and a destructive command asks for a typed name, as purge does. */
export const TYPED_CONFIRMATION_ABOVE = 1000

export const dryRunFlag = Flags.boolean({description: 'say exactly what would happen (with counts) and change nothing'})
export const asciiFlag = Flags.boolean({description: 'draw bars and maps with ASCII characters only'})
