import {Command, Flags, type Interfaces} from '@oclif/core'
import type {ChalkInstance} from 'chalk'

import {maskText} from '../mask.js'
import {IpamError} from '../errors.js'
import {failureOf} from '../outcome.js'
import {exitCodeOf, printable, toIpamError} from './errors.js'
import {installInterruptHandler} from '../interrupt.js'
import {colorEnabled, makeChalk, makeSpinner, renderFields, renderTable, type Spinner, type TableColumn, unicodeTerminal} from './output.js'
import {isInteractive} from './prompt.js'
import {type Cell, type ListColumn, type ListFlagValues, listSettings, outputJsonRequested, printList, type StreamColumn, streamList} from './listing.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** Flags every command has. */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {
    color: Flags.boolean({allowNo: true, default: true, helpGroup: 'GLOBAL', description: 'colour the output (--no-color, or NO_COLOR, turns it off)'}),
    verbose: Flags.boolean({helpGroup: 'GLOBAL', description: 'show more detail, including stack traces of unexpected errors'}),
  }

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  private secrets: string[] = []

  /** Commands that handle SIGINT/SIGTERM themselves (serve shuts down cleanly). */
  static handlesSignals = false

  public override async init(): Promise<void> {
    await super.init()
    if (!(this.ctor as typeof BaseCommand).handlesSignals) installInterruptHandler()
    // `ipam ips list | head`: the reader has gone, so stop quietly, as Unix tools do.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0)
    })
    const ctor = this.ctor as typeof BaseCommand
    const {args, flags} = await this.parse({
      args: ctor.args,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      flags: ctor.flags,
      strict: ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
    // `--email "$EMAIL"` with the variable unset: say so rather than act as if the flag were absent.
    for (const [name, def] of Object.entries(ctor.flags ?? {})) {
      if ((def as {type?: string}).type === 'option' && (flags as Record<string, unknown>)[name] === '' && !ctor.emptyAllowed.includes(name)) {
        throw new IpamError('usage', 'usage', `--${name} is empty`, {hint: `leave the flag out, or give it a value (see ${this.id?.replace(/:/g, ' ')} --help)`})
      }
    }
  }

  /** Flags that may be given as an empty string. */
  static emptyAllowed: string[] = []

  protected get json(): boolean {
    return this.jsonEnabled()
  }

  /** `--output json` on list commands is --json. */
  public override jsonEnabled(): boolean {
    const output = (this.ctor as typeof Command).flags?.output as {options?: readonly string[]} | undefined
    // Only list commands' --output (backup's -o is a file name).
    return super.jsonEnabled() || (Boolean(output?.options?.includes('json')) && outputJsonRequested(this.argv))
  }

  /** A list command's rows, as a table, TSV or CSV (see src/cli/listing.ts). */
  protected async list(columns: ListColumn[], rows: Cell[][]): Promise<void> {
    await printList(columns, rows, listSettings(this.flags as ListFlagValues, this.useColor, this.ascii))
  }

  protected async streamList<I>(items: AsyncIterable<I>, columns: StreamColumn<I>[]): Promise<number> {
    return streamList(items, columns, listSettings(this.flags as ListFlagValues, this.useColor, this.ascii), (t) => this.c.bold(t))
  }

  protected get verbose(): boolean {
    return Boolean((this.flags as {verbose?: boolean})?.verbose) || /(^|,)ipam/.test(process.env.DEBUG ?? '')
  }

  protected get useColor(): boolean {
    return colorEnabled({noColor: (this.flags as {color?: boolean})?.color === false, json: this.json})
  }

  /** ASCII drawing (bars, maps, table borders): --ascii where a command has it, or a terminal without UTF-8. */
  protected get ascii(): boolean {
    return Boolean((this.flags as {ascii?: boolean})?.ascii) || !unicodeTerminal()
  }

  protected get c(): ChalkInstance {
    return makeChalk(this.useColor)
  }

  /** Results go to stdout; nothing else does. */
  protected out(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  /** Progress, warnings and notes go to stderr. */
  public note(text: string): void {
    process.stderr.write(`${this.mask(text)}\n`)
  }

  public warnUser(text: string): void {
    process.stderr.write(`${makeChalk(colorEnabled({noColor: !this.useColor, stdoutIsTTY: process.stderr.isTTY})).yellow('Warning:')} ${this.mask(text)}\n`)
  }

  protected debugNote(text: string): void {
    if (this.verbose) this.note(`[ipam] ${text}`)
  }

  protected table(columns: (string | TableColumn)[], rows: (string | number | null | undefined)[][]): string {
    return renderTable(columns, rows, this.useColor, {ascii: this.ascii})
  }

  protected fields(fields: [string, string | number | null | undefined][]): string {
    return renderFields(fields, this.useColor)
  }

  protected spinner(): Spinner {
    return makeSpinner({json: this.json})
  }

  protected get interactive(): boolean {
    return isInteractive()
  }

  /** Registers a value that must never be printed (passwords, tokens). */
  public addSecret(secret: string | undefined): void {
    if (secret) this.secrets.push(secret)
  }

  /** Progress and warnings: the password field of URLs is masked (by structure, never by text). */
  protected mask(text: string): string {
    return maskText(text)
  }

  /** Errors, which may echo a value typed on the command line: known secrets are masked too, as whole words. */
  protected maskError(text: string): string {
    return maskText(text, this.secrets)
  }

  /** A result that reports a partial failure (see src/outcome.ts) sets the exit code of its first failure's kind. */
  public override async _run<R>(): Promise<R> {
    const result = await super._run<R>()
    const failed = failureOf(result)
    if (failed && !process.exitCode) process.exitCode = exitCodeOf(failed)
    return result
  }

  public override async catch(error: Error & {oclif?: {exit?: number}}): Promise<void> {
    let e = toIpamError(error)
    // `ipam sandbox status --db …`: say why this command has no such flag, as its --help does.
    const given = /^Nonexistent flags?: (--[\w-]+)/.exec(e.message)?.[1]
    const why = /The global flags? [^:]* do(?:es)? not apply: [^.]+\./.exec(this.ctor.description ?? '')?.[0]
    if (given && why?.includes(given)) e = new IpamError('usage', e.code, e.message, {hint: why})
    process.exitCode = exitCodeOf(e.kind)
    const message = printable(this.maskError(e.message))
    if (this.jsonEnabled()) {
      const body: {code: string; message: string; hint?: string; details?: unknown} = {code: e.code, message}
      if (e.hint) body.hint = printable(this.maskError(e.hint))
      if (e.details !== undefined) body.details = e.details
      this.logJson({error: body})
    } else {
      const c = makeChalk(colorEnabled({noColor: (this.flags as {color?: boolean})?.color === false, stdoutIsTTY: process.stderr.isTTY}))
      process.stderr.write(`${c.red('Error:')} ${message}\n`)
      if (e.hint) process.stderr.write(`${c.dim('Hint:')} ${printable(this.maskError(e.hint))}\n`)
      if (e.kind === 'bug') {
        if (this.verbose) process.stderr.write(`${this.maskError(String(error.stack ?? error))}\n`)
        else process.stderr.write('This is a bug in ipam; run again with --verbose for details.\n')
      }
    }
  }
}
