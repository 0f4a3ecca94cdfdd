import {Help} from '@oclif/core'

/**
 * Help topics that are not commands (`ipam help exit-codes`, as `git help
 * <guide>`), and the root help naming them. oclif's help command hands its
 * arguments to this class, so no fake command is needed.
 */
export const HELP_TOPICS: Record<string, {summary: string; text: string}> = {
  'exit-codes': {
    summary: 'what each exit status means, for scripts',
    text: `EXIT CODES

Every command exits with one of these; with --json the error document carries
the same code on stdout.

  0    success (also: networks list --over found nothing; a reader that went
       away, as in \`ipam ips list | head\`)
  1    unexpected error, a bug (--verbose or DEBUG=ipam shows the stack)
  2    usage: bad flag, bad argument, invalid address or CIDR, bad configuration
  3    not found (also: \`ipam sandbox status\` when no sandbox runs)
  4    conflict: duplicate, overlap, address taken, pool exhausted, request
       already decided, database busy
  5    database unreachable, access denied, or schema not migrated
  6    confirmation required (no terminal and no --yes) or declined
  127  unknown command
  129  hang-up (SIGHUP), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM):
       nothing half-written, a change in progress rolled back`,
  },
  environment: {
    summary: 'the environment variables ipam reads',
    text: `ENVIRONMENT

Connection
  IPAM_DATABASE_URL       database URL, as --db (see \`ipam help urls\`)
  IPAM_DATABASE_PASSWORD  password for a URL that has none (keeps it out of argv)
  IPAM_PROFILE            connection profile to use, as --profile
  IPAM_MASTER_PASSWORD    password of the master database for a platform
                          (integration setup/status and routed commands)

Notifications and the HTTP intake
  IPAM_SMTP_URL           SMTP server for notifications (smtp:// or smtps://)
  IPAM_MAIL_FROM          sender address of notifications
  IPAM_SERVE_TOKEN        bearer token \`ipam serve\` requires of request agents

Output
  NO_COLOR                no colours when set (as --no-color)
  FORCE_COLOR             colours even when stdout is not a terminal
  IPAM_PAGER, PAGER       pager for lists longer than the screen, in that order;
                          default \`less -FRX\`; empty or \`cat\` turns paging off
  LESS                    options for less (FRX when unset)
  COLUMNS, LINES          terminal size, when set (else the terminal's own)
  DEBUG                   \`DEBUG=ipam\` shows more, as --verbose

Files
  XDG_CONFIG_HOME         profiles in $XDG_CONFIG_HOME/ipam/config.json
  XDG_DATA_HOME           sandboxes in $XDG_DATA_HOME/ipam/

Test hooks (for the test suite only; read in src/test-hooks.ts, never set them in use)
  IPAM_DNS_CNAME_OVERRIDES   JSON map of DNS CNAME answers (integration check and setup)
  IPAM_TEST_CRASH_AFTER_STEP kills integration setup right after step N`,
  },
  urls: {
    summary: 'database and SMTP URL formats',
    text: `URLS

Database (--db, IPAM_DATABASE_URL, \`ipam config set db\`)
  mysql://USER:PASSWORD@HOST:PORT/DATABASE
  mysql://ipam@db1.example.com/ipam              port 3306, password elsewhere
  mysql://ipam@db1:3306,db2:3306,db3:3306/ipam   several hosts, tried in order
  mysql://ipam@[2001:db8::5]:3306/ipam           an IPv6 host in brackets
  mysql://ipam@localhost/ipam?socket=/run/mysqld/mysqld.sock
  mysql://ipam@db1/ipam?ssl=true                 TLS with the system CAs
  mysql://ipam@db1/ipam?ssl=/etc/ssl/ipam-ca.pem TLS with your CA

  Characters such as @ : / % in the user or password are percent-encoded
  (p@ss -> p%40ss). Leave the password out and use IPAM_DATABASE_PASSWORD, a
  profile, or the prompt. Passwords are shown as **** everywhere.

SMTP (IPAM_SMTP_URL, \`ipam config set smtp-url\`)
  smtp://USER:PASSWORD@HOST:587     STARTTLS when the server offers it
  smtps://USER:PASSWORD@HOST:465    TLS from the start`,
  },
}

export default class IpamHelp extends Help {
  public override async showHelp(argv: string[]): Promise<void> {
    const topic = argv.length === 1 ? HELP_TOPICS[argv[0]] : undefined
    if (topic) {
      this.log(topic.text)
      return
    }
    await super.showHelp(argv)
  }

  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    const width = Math.max(...Object.keys(HELP_TOPICS).map((k) => k.length))
    this.log(this.bold('HELP TOPICS'))
    for (const [name, t] of Object.entries(HELP_TOPICS)) this.log(`  ${this.config.bin} help ${name.padEnd(width)}  ${t.summary}`)
    this.log('')
  }

  private bold(text: string): string {
    return process.stdout.isTTY && !process.env.NO_COLOR ? `\u001b[1m${text}\u001b[22m` : text
  }
}
