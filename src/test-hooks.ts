/**
 * Test hooks: the ONLY place the CLI reads environment variables that exist
 * for the test suite. Subprocess tests (which run the built CLI and cannot
 * inject anything) set them; the command layer reads them here and injects
 * the result into the domain, which knows nothing of them. Domain tests inject
 * their own callbacks and resolvers instead.
 *
 *   IPAM_TEST_CRASH_AFTER_STEP=N   integration setup kills itself (SIGKILL) right after step N
 *   IPAM_DNS_CNAME_OVERRIDES=JSON  {"host": "canonical name"}: CNAME answers given before DNS is asked
 */
import type {CnameResolver} from './integration/dns.js'

/** A `runSetup` afterStep callback that kills the process after step N, or undefined when the hook is unset. */
export function crashAfterStepHook(env: NodeJS.ProcessEnv = process.env): ((step: number) => void) | undefined {
  const at = Number(env.IPAM_TEST_CRASH_AFTER_STEP)
  if (!env.IPAM_TEST_CRASH_AFTER_STEP || !Number.isInteger(at)) return undefined
  return (step) => {
    if (step === at) process.kill(process.pid, 'SIGKILL')
  }
}

/** `resolver`, answering first from IPAM_DNS_CNAME_OVERRIDES when it is set (unparseable JSON: ignored). */
export function withCnameOverrides(resolver: CnameResolver, env: NodeJS.ProcessEnv = process.env): CnameResolver {
  if (!env.IPAM_DNS_CNAME_OVERRIDES) return resolver
  let overrides: Record<string, string>
  try {
    overrides = JSON.parse(env.IPAM_DNS_CNAME_OVERRIDES)
  } catch {
    return resolver
  }
  return async (host) => (Object.hasOwn(overrides, host) ? [overrides[host]] : resolver(host))
}
