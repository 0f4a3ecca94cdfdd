// Preloaded with --import: appends the URL of every ES module the process
// imports to the file named by IPAM_TRACE_IMPORTS (what a command loads).
import {register} from 'node:module'

register(`data:text/javascript,${encodeURIComponent(`
import {appendFileSync} from 'node:fs'
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  if (process.env.IPAM_TRACE_IMPORTS) appendFileSync(process.env.IPAM_TRACE_IMPORTS, result.url + '\\n')
  return result
}`)}`)
