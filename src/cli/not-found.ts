import type {Hook} from '@oclif/core'

/** oclif's command_not_found hook: plugin-not-found's suggestion, loaded only when a command is not found. */
const hook: Hook<'command_not_found'> = async function (opts) {
  const {default: notFound} = await import('@oclif/plugin-not-found')
  return notFound.call(this, opts)
}

export default hook
