import {Flags} from '@oclif/core'

/** --profile for the `config` commands (which never connect). */
export const profileFlag = Flags.string({env: 'IPAM_PROFILE', default: 'default', description: 'profile to read or change (env IPAM_PROFILE)'})
