import {Flags} from '@oclif/core'

/** Flags shared by several commands, defined once. */
export const yesFlag = Flags.boolean({char: 'y', description: 'confirm destructive steps without asking (for scripts)'})
export const locationFlag = Flags.string({description: 'a location where it is available (repeatable); none means everywhere', multiple: true})
export const asciiFlag = Flags.boolean({description: 'draw bars and maps with ASCII characters only'})
/** On a joined platform: read this database's own history instead of the master's. */
export const localFlag = Flags.boolean({description: "on a platform joined to a master: read this database's own records instead of the master's"})
