import {usage} from '../errors.js'

/** Reads all of stdin (for --password-stdin); the trailing newline is not part of the secret. */
export async function readStdinSecret(what: string): Promise<string> {
  if (process.stdin.isTTY) throw usage(`--${what}-stdin reads from a pipe, not a terminal`, `e.g. printf '%s' "$SECRET" | ipam … --${what}-stdin`)
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  if (text === '') throw usage(`--${what}-stdin read nothing from stdin`)
  return text
}
