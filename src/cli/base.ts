import {Command, Flags, type Interfaces} from '@oclif/core'
import type {ChalkInstance} from 'chalk'

import {maskText} from '../mask.js'
import {failureOf} from '../outcome.js'
import {emptyFlagCheck, exitCodeOf, reportError} from './errors.js'
import {installInterruptHandler} from '../interrupt.js'
import {colorEnabled, makeChalk, makeSpinner, type Spinner, unicodeTerminal} from './output.js'
import {type ProgressLine, withProgress} from './progress.js'
import type {OnProgress} from '../progress.js'
import {type Cell, type Field, formatFields, formatTable, type ListColumn, type ListFlagValues, listSettings, outputJsonRequested, printList, type StreamColumn, streamList} from './listing.js'

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
    emptyFlagCheck(ctor.flags ?? {}, flags as Record<string, unknown>, ctor.emptyAllowed, this.id)
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
    process.stderr.write(`${maskText(text)}\n`)
  }

  public warnUser(text: string): void {
    process.stderr.write(`${makeChalk(colorEnabled({noColor: !this.useColor, stdoutIsTTY: process.stderr.isTTY})).yellow('Warning:')} ${maskText(text)}\n`)
  }

  /** A table that fits the terminal: columns marked `shrink` (free text) give up room first, cut with `…`. */
  protected table(columns: (string | ListColumn)[], rows: Cell[][]): string {
    return formatTable(columns, rows, {color: this.useColor, ascii: this.ascii})
  }

  /** Label/value lines of `show` commands, fitting the terminal (see formatFields). */
  protected fields(fields: Field[]): string {
    return formatFields(fields, {color: this.useColor})
  }

  protected spinner(): Spinner {
    return makeSpinner({json: this.json})
  }

  /** Runs `work` under a progress line (counts and time, on a terminal only; see src/cli/progress.ts). */
  protected withProgress<R>(label: string, work: (onProgress: OnProgress | undefined, line: ProgressLine) => Promise<R>): Promise<R> {
    return withProgress(label, {json: this.json}, work)
  }

  /** Registers a value that must never be printed (passwords, tokens). */
  public addSecret(secret: string | undefined): void {
    if (secret) this.secrets.push(secret)
  }

  /** JSON as oclif prints it without a theme, written at once: oclif's colouriser re-reads the text token by token, 0.25 s on 10,000 networks. */
  public override logJson(json: unknown): void {
    if (typeof json !== 'object' || json === null || this.config.theme?.json) return super.logJson(json)
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  /** A result that reports a partial failure (see src/outcome.ts) sets the exit code of its first failure's kind. */
  public override async _run<R>(): Promise<R> {
    const result = await super._run<R>()
    const failed = failureOf(result)
    if (failed && !process.exitCode) process.exitCode = exitCodeOf(failed)
    return result
  }

  public override async catch(error: Error & {oclif?: {exit?: number}}): Promise<void> {
    const json = this.jsonEnabled()
    const report = reportError(error, {
      json,
      color: colorEnabled({noColor: (this.flags as {color?: boolean})?.color === false, stdoutIsTTY: process.stderr.isTTY}),
      verbose: this.verbose,
      description: this.ctor.description,
      // errors may echo a value typed on the command line: known secrets are masked too, as whole words
      mask: (text) => maskText(text, this.secrets),
    })
    process.exitCode = report.exit
    if (json) this.logJson(report.json)
    else process.stderr.write(report.text)
  }
}
