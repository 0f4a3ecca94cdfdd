import {type ChildProcess, spawn} from 'node:child_process'

import {BIN, cleanEnv, tempHome} from './cli.js'

export interface Served {
  child: ChildProcess
  base: string
  stderr: () => string
  exited: Promise<number | null>
}

/** Starts `ipam serve --port 0` as a subprocess and waits for its "listening" line. */
export async function serve(url: string, env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {env: cleanEnv(tempHome(), {IPAM_DATABASE_URL: url, ...env}), stdio: ['ignore', 'pipe', 'pipe']})
  let err = ''
  child.stderr!.setEncoding('utf8').on('data', (d) => (err += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const end = Date.now() + 20_000
  while (!/listening on (http:\/\/\S+)/.test(err)) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`ipam serve did not start: ${err}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return {child, base: /listening on (http:\/\/\S+)/.exec(err)![1], stderr: () => err, exited}
}
