import {Command, Flags, type Interfaces} from '@oclif/core'
import type {ChalkInstance} from 'chalk'

import {type Database, mapDriverError, openDatabase, resolveConnection} from '../db/connect.js'
import {requireMigrated} from '../db/schema.js'
import {DEFAULT_PROFILE, profilePath, readProfiles} from '../db/profiles.js'
import {smtpMailer} from '../requests/mailer.js'
import {deliver, type DeliveryReport, type Mailer, queuedSince} from '../requests/outbox.js'
import {maskedUrl, maskSecretsInText} from '../db/url.js'
import {routeToMaster} from '../integration/routing.js'
import {join} from 'node:path'
import {IpamError} from '../errors.js'
import {Exit, exitCodeOf} from './errors.js'
import {installInterruptHandler} from '../interrupt.js'
import {escapeControl} from '../text.js'
import {colorEnabled, makeChalk, makeSpinner, renderFields, renderTable, type Spinner, type TableColumn} from './output.js'
import {isInteractive, promptPassword} from './prompt.js'
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
    await printList(columns, rows, listSettings(this.flags as ListFlagValues, this.useColor))
  }

  protected async streamList<I>(items: AsyncIterable<I>, columns: StreamColumn<I>[]): Promise<number> {
    return streamList(items, columns, listSettings(this.flags as ListFlagValues, this.useColor), (t) => this.c.bold(t))
  }

  protected get verbose(): boolean {
    return Boolean((this.flags as {verbose?: boolean})?.verbose) || /(^|,)ipam/.test(process.env.DEBUG ?? '')
  }

  protected get useColor(): boolean {
    return colorEnabled({noColor: (this.flags as {color?: boolean})?.color === false, json: this.json})
  }

  protected get c(): ChalkInstance {
    return makeChalk(this.useColor)
  }

  /** Results go to stdout; nothing else does. */
  protected out(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  /** Progress, warnings and notes go to stderr. */
  protected note(text: string): void {
    process.stderr.write(`${this.mask(text)}\n`)
  }

  protected warnUser(text: string): void {
    process.stderr.write(`${makeChalk(colorEnabled({noColor: !this.useColor, stdoutIsTTY: process.stderr.isTTY})).yellow('Warning:')} ${this.mask(text)}\n`)
  }

  protected debugNote(text: string): void {
    if (this.verbose) this.note(`[ipam] ${text}`)
  }

  protected table(columns: (string | TableColumn)[], rows: (string | number | null | undefined)[][]): string {
    return renderTable(columns, rows, this.useColor)
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
  protected addSecret(secret: string | undefined): void {
    if (secret) this.secrets.push(secret)
  }

  protected mask(text: string): string {
    let out = maskSecretsInText(text)
    for (const s of this.secrets) if (s.length > 0) out = out.split(s).join('****')
    return out
  }

  public override async catch(error: Error & {oclif?: {exit?: number}}): Promise<void> {
    const e = toIpamError(error)
    process.exitCode = exitCodeOf(e.kind)
    const message = printable(this.mask(e.message))
    if (this.jsonEnabled()) {
      const body: {code: string; message: string; hint?: string; details?: unknown} = {code: e.code, message}
      if (e.hint) body.hint = printable(this.mask(e.hint))
      if (e.details !== undefined) body.details = e.details
      this.logJson({error: body})
    } else {
      const c = makeChalk(colorEnabled({noColor: (this.flags as {color?: boolean})?.color === false, stdoutIsTTY: process.stderr.isTTY}))
      process.stderr.write(`${c.red('Error:')} ${message}\n`)
      if (e.hint) process.stderr.write(`${c.dim('Hint:')} ${printable(this.mask(e.hint))}\n`)
      if (e.kind === 'bug') {
        if (this.verbose) process.stderr.write(`${this.mask(String(error.stack ?? error))}\n`)
        else process.stderr.write('This is a bug in ipam; run again with --verbose for details.\n')
      }
    }
  }
}

/**
 * Messages can carry a user's value (oclif's parse errors quote it raw): control
 * characters are shown escaped, so that no value can drive the terminal, and a
 * huge value is cut short.
 */
export function printable(text: string, max = 2000): string {
  const clean = escapeControl(text, {keepNewlines: true})
  return clean.length > max ? `${clean.slice(0, max)}… (${clean.length - max} more characters)` : clean
}

/** Maps anything thrown to an IpamError with the documented exit code. */
export function toIpamError(error: unknown): IpamError {
  if (error instanceof IpamError) return error
  const err = error as Error & {oclif?: {exit?: number}; code?: string; name?: string}
  if (err?.name === 'ExitPromptError') return new IpamError('interrupted', 'interrupted', 'interrupted: nothing was changed')
  if (err?.oclif?.exit === 2 || err?.name === 'CLIParseError' || /^(Unexpected argument|Missing required|Expected|Nonexistent flag|Parsing)/.test(err?.message ?? '')) {
    // oclif puts the reason on the lines after "Parsing --flag": keep them, one line, without the help pointer.
    const lines = (err.message ?? 'invalid usage').split('\n').map((l) => l.trim()).filter((l) => l && !/^See more help/.test(l) && !/^The following errors? occurred:?$/.test(l))
    return new IpamError('usage', 'usage', lines.join(': ').replace(/^Error: /, '').replace(/:\s*:/g, ':'), {hint: 'see --help for usage'})
  }
  const mapped = mapDriverError(error)
  if (mapped instanceof IpamError) return mapped
  return new IpamError('bug', 'unexpected', `unexpected error: ${err?.message ?? String(error)}`, {cause: error})
}

/** Commands that talk to a database: --db / --profile, one pool per process. */
export abstract class DbCommand<T extends typeof Command> extends BaseCommand<T> {
  static override baseFlags = {
    ...BaseCommand.baseFlags,
    db: Flags.string({helpGroup: 'GLOBAL', env: 'IPAM_DATABASE_URL', description: 'database URL mysql://user:password@host:port/db (env IPAM_DATABASE_URL)'}),
    profile: Flags.string({helpGroup: 'GLOBAL', env: 'IPAM_PROFILE', description: 'connection profile to use (env IPAM_PROFILE)'}),
  }

  /** Address-space and request commands: on a platform they work on the master's data. */
  static routeToMaster = false

  private database?: Database
  private platformDatabase?: Database
  private waitingNoted = false
  /** A check for cron (networks list --over) says nothing when all is well, not even where its data lives. */
  protected quietRouting = false

  /** Opens the database; checks the schema unless `skipSchemaCheck`. */
  protected async db(opts: {skipSchemaCheck?: boolean; withDatabase?: boolean} = {}): Promise<Database> {
    if (this.database) return this.database
    const flags = this.flags as {db?: string; profile?: string}
    const {url, source} = await resolveConnection({db: flags.db, profile: flags.profile, configDir: this.config.configDir})
    this.addSecret(url.password)
    let database: Database
    try {
      database = await openDatabase(url, {withDatabase: opts.withDatabase})
    } catch (error) {
      // A stopped sandbox: say so, rather than "connection refused" (the sandbox module loads only here).
      const sandbox = error instanceof IpamError && error.code === 'unreachable' ? await import('../sandbox/sandbox.js') : undefined
      if (sandbox?.isSandboxUrl(url) && !(await sandbox.sandboxStatus(join(this.config.dataDir, 'sandbox'))).running) {
        throw new IpamError('unavailable', 'sandbox_not_running', 'the sandbox is not running: `ipam sandbox start`', {hint: 'eval "$(ipam sandbox start)" starts a new, empty one and sets IPAM_DATABASE_URL for it', cause: error})
      }
      // No password anywhere and a person at the keyboard: ask once.
      const denied = error instanceof IpamError && error.code === 'access_denied'
      if (!denied || url.password !== undefined || !this.interactive) throw error
      url.password = await promptPassword(`Password for ${url.user}:`)
      this.addSecret(url.password)
      database = await openDatabase(url, {withDatabase: opts.withDatabase})
    }
    this.database = database
    this.debugNote(`connected to ${database.node} (from ${source})`)
    if (!opts.skipSchemaCheck) await requireMigrated(database.pool).catch((error) => {
      throw mapDriverError(error, url)
    })
    if ((this.ctor as typeof DbCommand).routeToMaster) {
      const master = await routeToMaster(database)
      if (master) {
        this.addSecret(master.url.password)
        this.platformDatabase = database
        this.database = master
        if (!this.quietRouting) this.note(`Note: this database is a platform of ${maskedUrl(master.url)}; working on the master's data.`)
        return master
      }
    }
    return database
  }

  /** SMTP from IPAM_SMTP_URL / IPAM_MAIL_FROM, else the profile's smtp-url / mail-from. */
  protected async mailer(): Promise<Mailer | undefined> {
    const flags = this.flags as {profile?: string}
    let url = process.env.IPAM_SMTP_URL
    let from = process.env.IPAM_MAIL_FROM
    if (!url || !from) {
      const profiles = await readProfiles(profilePath(this.config.configDir))
      const profile = profiles.profiles[flags.profile || process.env.IPAM_PROFILE || DEFAULT_PROFILE] ?? {}
      url ||= profile['smtp-url']
      from ||= profile['mail-from']
    }
    const password = url ? /^smtps?:\/\/[^:@/]*:([^@]*)@/i.exec(url)?.[1] : undefined
    if (password) {
      this.addSecret(password)
      try {
        this.addSecret(decodeURIComponent(password))
      } catch {}
    }
    return smtpMailer(url, from)
  }

  /** Where the outbox stands before a change, so that the messages it queues can be sent after commit. */
  protected async outboxMark(): Promise<number> {
    const [rows] = await (await this.db()).pool.query<any[]>('SELECT COALESCE(MAX(id), 0) AS id FROM ipam_outbox')
    return Number(rows[0].id)
  }

  /**
   * Sends what the command queued, after its commit. A failed send is a
   * warning, never a failed command: the message stays for `ipam notify retry`.
   */
  protected async sendQueued(mark: number): Promise<DeliveryReport | undefined> {
    const db = await this.db()
    const ids = await queuedSince(db.pool, mark + 1)
    if (ids.length === 0) return undefined
    let mailer: Mailer | undefined
    try {
      mailer = await this.mailer()
    } catch (error) {
      this.warnUser(`notifications not sent: ${(error as Error).message}`)
      return {sent: 0, failed: [], waiting: ids.length}
    }
    const report = await deliver(db.pool, mailer, {ids})
    if (report.waiting > 0 && !this.waitingNoted) {
      this.waitingNoted = true
      this.note(`${report.waiting} notification(s) wait in the outbox: no SMTP server is configured (IPAM_SMTP_URL or \`ipam config set smtp-url\`). Send them later with \`ipam notify retry\`.`)
    }
    // One warning per command, however many ids the decision covered.
    const failed = report.failed
    if (failed.length === 1) this.warnUser(`notification #${failed[0].id} could not be sent (${failed[0].error}); it stays in the outbox for \`ipam notify retry\``)
    else if (failed.length > 1) this.warnUser(`${failed.length} notifications (#${failed.map((f) => f.id).join(', #')}) could not be sent (${failed[0].error}); they stay in the outbox for \`ipam notify retry\``)
    return report
  }

  public override async finally(error: Error | undefined): Promise<void> {
    await this.database?.close()
    await this.platformDatabase?.close()
    await super.finally(error)
  }
}
