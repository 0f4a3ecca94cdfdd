import {spawn} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const BIN = join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** stdout parsed as JSON (throws when it is not one JSON document). */
  json<T = any>(): T
}

export interface CliOptions {
  /** Added to a clean environment (no IPAM_* from the developer's shell). */
  env?: Record<string, string | undefined>
  input?: string
  timeoutMs?: number
  /** A private HOME/XDG folder, so profiles and sandboxes never touch the developer's. */
  home?: string
}

/** A home folder of its own for a test file. */
export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'ipam-home-'))
}

export function cleanEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('IPAM_') || k === 'NO_COLOR' || k === 'FORCE_COLOR' || k === 'DEBUG' || k.startsWith('VITEST') || k === 'NODE_OPTIONS') continue
    env[k] = v
  }
  Object.assign(env, {HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share'), XDG_CACHE_HOME: join(home, '.cache')})
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

/** Runs the built CLI as a subprocess and collects its output and exit code. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const home = opts.home ?? tempHome()
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: cleanEnv(home, opts.env), stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({
        code,
        signal,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout)
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\n--- stderr:\n${stderr}`)
          }
        },
      })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(opts.input ?? '')
  })
}

/** Binds runCli to one database URL and home folder. */
export function cliFor(url: string, home = tempHome()) {
  return (args: string[], opts: CliOptions = {}) => runCli(args, {...opts, home, env: {IPAM_DATABASE_URL: url, ...opts.env}})
}
