import {spawn} from 'node:child_process'

const WORKER = new URL('./alloc-worker.mjs', import.meta.url).pathname

/** What one next-free attempt of a worker got: an address, or the error's exit code and code. */
export interface Attempt {
  address?: string
  exit?: number
  code?: string
  message?: string
}

/** A separate process making `n` next-free allocations from `pool`, one transaction each, through the built code. */
export function allocWorker(url: string, pool: string, n: number): Promise<Attempt[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, url, pool, String(n)], {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}: ${err}`))))
  })
}
