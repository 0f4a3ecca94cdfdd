import {confirmationRequired, IpamError} from '../errors.js'
import {Exit} from './errors.js'

/** Loaded on first use: most runs (scripts, --json) never prompt. */
const prompts = () => import('@inquirer/prompts')

/** Prompts go to stderr so that stdout (and --json) stays clean. */
const context = () => ({input: process.stdin, output: process.stderr})

/** Interactive only when stdin is a terminal; a prompt is never attempted otherwise. */
export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY)
}

export function declined(): IpamError {
  return new IpamError('needs-confirmation', 'declined', 'cancelled: nothing was changed')
}

/** Translates inquirer's Ctrl-C into the documented exit 130. */
async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if ((error as Error)?.name === 'ExitPromptError' || (error as Error)?.name === 'AbortPromptError') {
      throw new IpamError('interrupted', 'interrupted', 'interrupted: nothing was changed')
    }
    throw error
  }
}

/**
 * Asks a yes/no question before a destructive step. `--yes` answers it;
 * without a terminal it refuses at once with exit 6.
 */
export async function confirmOrRefuse(message: string, opts: {yes?: boolean; what: string}): Promise<void> {
  if (opts.yes) return
  if (!isInteractive()) throw confirmationRequired(`${opts.what} needs confirmation, and there is no terminal to ask on`, 'pass --yes to confirm non-interactively')
  const {confirm} = await prompts()
  const ok = await guard(() => confirm({message, default: false}, context()))
  if (!ok) throw declined()
}

/** Heroku-style: the user types a name to confirm. */
export async function confirmByTyping(message: string, expected: string, opts: {yes?: boolean; what: string}): Promise<void> {
  if (opts.yes) return
  if (!isInteractive()) throw confirmationRequired(`${opts.what} needs confirmation, and there is no terminal to ask on`, 'pass --yes to confirm non-interactively')
  const {input} = await prompts()
  const typed = await guard(() => input({message}, context()))
  if (typed.trim() !== expected) {
    throw new IpamError('needs-confirmation', 'declined', `"${typed.trim()}" does not match "${expected}": nothing was changed`)
  }
}

export async function promptPassword(message: string): Promise<string> {
  if (!isInteractive()) throw confirmationRequired('a password is needed and there is no terminal to ask on', 'pass it with --password-stdin')
  const {password} = await prompts()
  // Nothing echoed, not even one `*` per character: the length is a secret too.
  return guard(() => password({message}, context()))
}

export async function promptText(message: string, defaultValue?: string): Promise<string> {
  const {input} = await prompts()
  return guard(() => input({message, default: defaultValue}, context()))
}

export {guard as guardPrompt, context as promptContext, prompts as loadPrompts}
