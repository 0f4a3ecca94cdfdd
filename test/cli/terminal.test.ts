import {spawnSync} from 'node:child_process'
import {chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, cleanEnv, cliFor, ROOT, runCli, tempHome} from '../support/cli.js'
import {freshDatabase, type TestDatabase} from '../support/db.js'
import {hasPty, runPty} from '../support/pty.js'

const LONG = 'a build agent for the nightly integration pipeline of the payments team, racked in row 7'

/** Lines of what a command printed on a terminal, without the prompt echo. */
function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '')
}

describe('terminal manners: tables that fit, script output, the pager', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const home = tempHome()

  async function onTerminal(args: string[], opts: {cols: number; env?: Record<string, string>; rows?: number}) {
    const session = runPty(args, {cols: opts.cols, rows: opts.rows, home, env: {IPAM_DATABASE_URL: db.url, LANG: 'C.UTF-8', COLUMNS: String(opts.cols), PAGER: '', ...opts.env}})
    const exit = await session.exited()
    return {code: exit.code, output: session.output}
  }

  beforeAll(async () => {
    db = await freshDatabase('terminal')
    run = cliFor(db.url, home)
    const csv = join(home, 'many.csv')
    // 60 addresses: more than a 40-row screen.
    writeFileSync(csv, Array.from({length: 60}, (_, i) => `198.51.100.${100 + i},ALLOCATED,host-${i}.racks.example.com,DEVICE,"${LONG}"`).join('\n') + '\n')
    for (const args of [
      ['networks', 'add', '198.51.100.0/24', '--name', 'a lab network whose name goes on and on for quite a while'],
      ['networks', 'add', '192.0.2.0/24'],
      ['ips', 'import', csv],
      ['requests', 'submit', '--ip', '192.0.2.150', '--email', 'someone.with.a.long.name@example.com', '--description', LONG],
    ]) {
      const r = await run(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }
  })
  afterAll(async () => {
    await db?.drop()
  })

  for (const cols of [80, 120]) {
    it.skipIf(!hasPty)(`fits tables to ${cols} columns: free text cut with …, addresses never cut`, async () => {
      const {code, output} = await onTerminal(['requests', 'list'], {cols})
      expect(code).toBe(0)
      for (const line of lines(output)) expect(line.length, line).toBeLessThanOrEqual(cols)
      expect(output).toContain('192.0.2.150 ')
      expect(output).toContain('192.0.2.0/24')
      expect(output).toContain('…')
      expect(output).not.toContain(LONG)
    })

    it.skipIf(!hasPty)(`streams ips list at ${cols} columns with the Address column as wide as its widest value`, async () => {
      const {code, output} = await onTerminal(['ips', 'list', '--no-pager'], {cols})
      expect(code).toBe(0)
      const shown = lines(output)
      for (const line of shown) expect(line.length, line).toBeLessThanOrEqual(cols)
      expect(shown[0]).toMatch(/^Address {9}Status/) // '198.51.100.100' is 14 wide, then two spaces
      expect(shown).toHaveLength(61)
      expect(shown[1]).toMatch(/^198\.51\.100\.100  ALLOCATED  host-0\.racks\.example\S* +DEVICE +a build agent.*…$/)
      expect(shown[1].includes('host-0.racks.example.com')).toBe(cols === 120)
    })
  }

  it.skipIf(!hasPty)('shows everything with --wide', async () => {
    const {output} = await onTerminal(['requests', 'list', '--wide'], {cols: 80})
    expect(output).toContain(LONG)
    expect(output).toContain('someone.with.a.long.name@example.com')
  })

  it.skipIf(!hasPty)('pages a list longer than the screen through $PAGER, and prints a short one straight', async () => {
    const paged = await onTerminal(['ips', 'list'], {cols: 120, env: {PAGER: 'sed -e s/^/paged:/'}})
    expect(paged.code).toBe(0)
    const shown = lines(paged.output)
    expect(shown).toHaveLength(61)
    for (const line of shown) expect(line).toMatch(/^paged:/)
    const short = await onTerminal(['networks', 'list'], {cols: 120, env: {PAGER: 'sed -e s/^/paged:/'}})
    expect(short.output).toContain('198.51.100.0/24')
    expect(short.output).not.toContain('paged:')
    const straight = await onTerminal(['ips', 'list', '--no-pager'], {cols: 120, env: {PAGER: 'sed -e s/^/paged:/'}})
    expect(straight.output).not.toContain('paged:')
    expect(lines(straight.output)).toHaveLength(61)
  })

  it.skipIf(!hasPty)('pages through a shell command line and through less -FRX by default', async () => {
    const piped = await onTerminal(['log', '--limit', '100'], {cols: 120, rows: 6, env: {PAGER: "awk '{print \"pg>\" $0}'"}})
    expect(piped.code).toBe(0)
    expect(lines(piped.output).every((l) => l.startsWith('pg>'))).toBe(true)
    // less with -F quits by itself: the output fits in one screen here.
    const less = await onTerminal(['networks', 'list'], {cols: 120, env: {PAGER: undefined as unknown as string}})
    expect(less.code).toBe(0)
    expect(less.output).toContain('198.51.100.0/24')
  })

  it.skipIf(!hasPty)('pages through less -FRX by default: q quits with exit 0; Ctrl-C waits for the pager, then exits 130', async () => {
    const env = {IPAM_DATABASE_URL: db.url, LANG: 'C.UTF-8', COLUMNS: '120', PAGER: undefined, LESS: undefined}
    const quit = runPty(['ips', 'list'], {cols: 120, rows: 10, home, env})
    await quit.expect('198.51.100.100')
    quit.write('q')
    expect((await quit.exited()).code).toBe(0)
    expect(quit.output).not.toContain('198.51.100.159') // the last row was never shown
    const interrupted = runPty(['ips', 'list'], {cols: 120, rows: 10, home, env})
    await interrupted.expect('198.51.100.100')
    interrupted.interrupt()
    // The command waits for the pager to be quit rather than leaving it drawing on the terminal.
    // less drops what was typed ahead of its Ctrl-C handling, so q is typed until it takes.
    const exit = interrupted.exited()
    let done = false
    void exit.then(() => (done = true))
    while (!done) {
      await Promise.race([exit, new Promise((r) => setTimeout(r, 500))])
      if (!done) interrupted.write('q')
    }
    expect((await exit).code).toBe(130)
    // it did not leave at the Ctrl-C itself (that path says "Interrupted (SIGINT)")
    expect(interrupted.output).not.toContain('Interrupted (SIGINT)')
  })

  it('prints tab-separated rows without box drawing when piped, with a header unless -H', async () => {
    const r = await run(['ips', 'list'])
    expect(r.code).toBe(0)
    const rows = r.stdout.trimEnd().split('\n')
    expect(rows[0]).toBe('Address\tStatus\tAssigned to\tType\tHostname\tDescription')
    expect(rows[1]).toBe(`198.51.100.100\tALLOCATED\thost-0.racks.example.com\tDEVICE\t\t${LONG}`)
    expect(r.stdout).not.toMatch(/[│─┌]/)
    const bare = await run(['networks', 'list', '-H'])
    expect(bare.stdout.split('\n')[0]).toMatch(/^\d+\t192\.0\.2\.0\/24\t\t\t\t0\t254\t0$/)
    const table = await run(['networks', 'list', '--output', 'table'])
    expect(table.stdout).toContain('│ 198.51.100.0/24 │')
    const tsv = await run(['requests', 'list', '--output', 'tsv', '--no-headers'])
    expect(tsv.stdout).toMatch(/^\d+\t192\.0\.2\.150\t192\.0\.2\.0\/24\tUSER\tsomeone\.with\.a\.long\.name@example\.com\t/)
  })

  it('prints CSV and JSON with --output', async () => {
    const csv = await run(['ips', 'list', '--output', 'csv', '--limit', '1'])
    expect(csv.stdout).toBe(`Address,Status,Assigned to,Type,Hostname,Description\r\n198.51.100.100,ALLOCATED,host-0.racks.example.com,DEVICE,,"${LONG.replace(/"/g, '""')}"\r\n`)
    const json = await run(['networks', 'list', '--output', 'json'])
    expect(json.json().map((n: any) => n.cidr)).toEqual(['192.0.2.0/24', '198.51.100.0/24'])
    const short = await run(['users', 'list', '-o', 'json'])
    expect(short.json()).toEqual([])
  })

  it('networks list --over prints nothing at all and exits 0 when nothing is that full (for cron)', async () => {
    const none = await run(['networks', 'list', '--over', '90'])
    expect({code: none.code, stdout: none.stdout, stderr: none.stderr}).toEqual({code: 0, stdout: '', stderr: ''})
    const some = await run(['networks', 'list', '--over', '20'])
    expect(some.code).toBe(0)
    expect(some.stdout).toContain('198.51.100.0/24')
    expect(some.stdout).not.toContain('192.0.2.0/24')
    const help = await run(['networks', 'list', '--help'])
    expect(help.stdout).toMatch(/prints nothing\s+at all/)
  })
})

describe('quitting the pager early', () => {
  let db: TestDatabase
  const home = tempHome()
  beforeAll(async () => {
    db = await freshDatabase('pagerquit')
    const run = cliFor(db.url, home)
    expect((await run(['networks', 'add', '10.0.0.0/16'])).code).toBe(0)
    // far more than a pipe buffer holds, so that the list is still streaming when q is typed
    const csv = join(home, 'many.csv')
    writeFileSync(csv, Array.from({length: 20000}, (_, i) => `10.0.${(i >> 8) + 1}.${i & 255},ALLOCATED,h,DEVICE,x`).join('\n') + '\n')
    expect((await run(['ips', 'import', csv])).code).toBe(0)
  })
  afterAll(async () => {
    await db?.drop()
  })

  it.skipIf(!hasPty)('ends ips list quietly with exit 0 when the reader quits the pager mid-stream', async () => {
    const session = runPty(['ips', 'list'], {cols: 120, rows: 10, home, env: {IPAM_DATABASE_URL: db.url, COLUMNS: '120', PAGER: undefined, LESS: undefined}})
    await session.expect('10.0.1.0')
    session.write('q')
    expect((await session.exited()).code).toBe(0)
    expect(session.output).not.toContain('Error')
    expect(session.output).not.toContain('10.0.78.')
  })
})

describe('sandbox manners', () => {
  it('sandbox status exits 3 when no sandbox runs', async () => {
    const r = await runCli(['sandbox', 'status'])
    expect(r.code).toBe(3)
    expect(r.stdout).toContain('not running')
  })

  it('a command that cannot reach a stopped sandbox says so', async () => {
    const r = await runCli(['networks', 'list'], {env: {IPAM_DATABASE_URL: 'mysql://root@127.0.0.1:1/ipam'}})
    expect(r.code).toBe(5)
    expect(r.stderr).toContain('the sandbox is not running: `ipam sandbox start`')
    const other = await runCli(['networks', 'list'], {env: {IPAM_DATABASE_URL: 'mysql://ops@127.0.0.1:1/ipam'}})
    expect(other.stderr).not.toContain('sandbox')
  })
})

describe('help topics and version', () => {
  it('names the help topics in the root help and shows each', async () => {
    const root = await runCli(['--help'])
    expect(root.code).toBe(0)
    for (const topic of ['exit-codes', 'environment', 'urls']) {
      expect(root.stdout).toContain(`ipam help ${topic}`)
      const r = await runCli(['help', topic])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toContain(topic === 'exit-codes' ? 'EXIT CODES' : topic.toUpperCase())
    }
    expect((await runCli(['help', 'exit-codes'])).stdout).toMatch(/^ {2}6 {4}confirmation required/m)
    expect((await runCli(['help', 'urls'])).stdout).toContain('mysql://ipam@db1:3306,db2:3306,db3:3306/ipam')
  })

  it('lists every IPAM_* variable the code reads, and NO_COLOR and PAGER, in help environment', async () => {
    const names = new Set<string>()
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, {withFileTypes: true})) {
        if (e.isDirectory()) walk(join(dir, e.name))
        else if (e.name.endsWith('.ts')) for (const m of readFileSync(join(dir, e.name), 'utf8').matchAll(/\bIPAM_[A-Z_]+[A-Z]\b/g)) names.add(m[0])
      }
    }
    walk(join(ROOT, 'src'))
    walk(join(ROOT, 'commands'))
    expect(names.size).toBeGreaterThan(5)
    const r = await runCli(['help', 'environment'])
    for (const name of [...names, 'NO_COLOR', 'PAGER']) expect(r.stdout, name).toMatch(new RegExp(`\\b${name}\\b`))
  })

  it('prints the version with `ipam version` as with --version', async () => {
    const a = await runCli(['version'])
    const b = await runCli(['--version'])
    expect(a.code).toBe(0)
    expect(a.stdout).toBe(b.stdout)
    expect(a.stdout).toMatch(/^ipam\/\d+\.\d+\.\d+ /)
  })
})

describe('dry runs and typed confirmations', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  const home = tempHome()
  const state = async () => {
    const out: Record<string, number> = {}
    for (const t of ['ip', 'ippool_range', 'ippool', 'ipnet', 'ip_request', 'auth_user', 'ipam_audit']) out[t] = Number((await db.sql(`SELECT COUNT(*) AS n FROM ${t}`))[0].n)
    return out
  }

  beforeAll(async () => {
    db = await freshDatabase('dryrun')
    run = cliFor(db.url, home)
    // 1,200 addresses in one network: above the 1,000 at which the name must be typed.
    const csv = join(home, 'big.csv')
    writeFileSync(csv, Array.from({length: 1200}, (_, i) => `10.20.${(i + 256) >> 8}.${i & 255},ALLOCATED,host-${i},DEVICE,`).join('\n') + '\n')
    for (const args of [
      ['networks', 'add', '10.20.0.0/20'],
      ['networks', 'add', '192.0.2.0/24'],
      ['pools', 'add', 'office'],
      ['ranges', 'add', 'office', '192.0.2.10-192.0.2.49'],
      ['ips', 'allocate', '--pool', 'office', '--count', '5'],
      ['ips', 'import', csv],
    ]) {
      const r = await run(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }
  })
  afterAll(async () => {
    await db?.drop()
  })

  it('says exactly what each destructive command would do, with counts, changes nothing and exits 0', async () => {
    const before = await state()
    const backup = join(home, 'dry.ipam-backup.gz')
    expect((await run(['backup', '-o', backup])).code).toBe(0)
    const csv = join(home, 'more.csv')
    writeFileSync(csv, '192.0.2.100,RESERVED,,,\n192.0.2.101,RESERVED,,,\n10.20.1.1,RESERVED,,,\n')
    const cases: [string[], string][] = [
      [['networks', 'remove', '10.20.0.0/20', '--dry-run'], 'Dry run: would remove network 10.20.0.0/20, 0 ranges and 1200 addresses. Nothing was changed.'],
      [['pools', 'remove', 'office', '--dry-run'], 'Dry run: would remove pool office, 1 range and 5 addresses. Nothing was changed.'],
      [['ranges', 'remove', '1', '--dry-run'], 'Dry run: would remove range 192.0.2.10-192.0.2.49 from pool office and release 5 addresses. Nothing was changed.'],
      [['ips', 'release', '10.20.1.0', '10.20.1.1', '--dry-run'], 'Dry run: would release 2 addresses: 10.20.1.0, 10.20.1.1. Nothing was changed.'],
      [['ips', 'import', csv, '--skip-invalid', '--dry-run'], 'Dry run: would import 2 addresses and skip 1. Nothing was changed.'],
      [['purge', '--dry-run', '--no-backup', '--yes'], 'would delete 1205 addresses, 1 range, 1 pool and 2 networks. Nothing was changed.'],
      [['restore', backup, '--dry-run'], 'would replace 2 networks, 1 pool, 1205 addresses, 0 requests and 0 users with 2 networks, 1 pool, 1205 addresses'],
    ]
    for (const [args, text] of cases) {
      const r = await run(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
      expect(r.stdout).toContain(text)
    }
    const purge = await run(['purge', '--dry-run'])
    expect(purge.code, purge.stderr).toBe(0)
    expect(purge.stdout).toMatch(/would write a backup to .*, then delete 1205 address/)
    const json = await run(['networks', 'remove', '10.20.0.0/20', '--dry-run', '--json'])
    expect(json.json()).toMatchObject({dryRun: true, addresses: 1200, ranges: 0})
    // the audit log too is as it was (a backup is not audited)
    expect(await state()).toEqual(before)
  })

  it('reads ips import - from stdin', async () => {
    const r = await run(['ips', 'import', '-', '--dry-run'], {input: 'address,status\n192.0.2.200,RESERVED\n192.0.2.201,RESERVED\n'})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('would import 2 addresses')
    const real = await run(['ips', 'import', '-', '--json'], {input: '192.0.2.202,RESERVED,,,\n'})
    expect(real.json()).toMatchObject({imported: 1, skipped: 0})
    expect((await db.sql("SELECT status FROM ip WHERE addr = INET_ATON('192.0.2.202')"))[0].status).toBe('RESERVED')
  })

  it('draws --ascii maps in ASCII only, with the legend wrapped between items', async () => {
    const r = await run(['networks', 'map', '10.20.0.0/20', '--ascii'], {env: {COLUMNS: '50'}})
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^[\x00-\x7f]*$/)
    const legend = r.stdout.split('\n').filter((l) => /no use|no pool range/.test(l) || /^[.:+*#] /.test(l))
    expect(legend.length).toBeGreaterThan(1)
    for (const line of legend) {
      expect(line.length).toBeLessThanOrEqual(50)
      expect(line).toMatch(/^([.:+*#'] ?'? \S+( \S+)*?)( {3}|$)/)
    }
    expect(legend.join('   ')).toBe(". no use   : <=25%   + <=50%   * <=75%   # >75%   ' ' no pool range, unused")
    // counts too large for digits are printed one way: as a power of two
    expect((await run(['networks', 'add', '2001:db8:77::/48'])).code).toBe(0)
    const v6 = await run(['networks', 'map', '2001:db8:77::/48', '--ascii'])
    expect(v6.stdout).toContain('each cell is a /56 (2^72 addresses)')
    expect(v6.stdout).toMatch(/~?2\^80(-1)? usable/)
    expect(v6.stdout.split('\n')[1]).toMatch(/^\s+ 0 1 2 3 4 5 6 7 8 9 a b c d e f$/)
    const list = await run(['networks', 'list', '--output', 'table', '--family', '6'])
    expect(list.stdout).toMatch(/2\^80/)
    expect((await run(['networks', 'remove', '2001:db8:77::/48'])).code).toBe(0)
  })

  it('says approved #N, and warns once about notifications that could not be sent', async () => {
    const ids: number[] = []
    for (const ip of ['192.0.2.60', '192.0.2.61']) ids.push((await run(['requests', 'submit', '--ip', ip, '--email', 'x@example.com', '--json'])).json().id)
    const r = await run(['requests', 'approve', ...ids.map(String)], {env: {IPAM_SMTP_URL: 'smtp://127.0.0.1:1', IPAM_MAIL_FROM: 'ipam@example.com'}})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(`approved #${ids[0]} 192.0.2.60, now USED by x@example.com\napproved #${ids[1]} 192.0.2.61, now USED by x@example.com\n`)
    expect(r.stderr.match(/could not be sent/g) ?? []).toHaveLength(1)
    expect((await run(['ips', 'release', '192.0.2.60', '192.0.2.61'])).code).toBe(0)
  })

  it('completes pool names, networks and pending request ids in bash', async () => {
    const pending = (await run(['requests', 'submit', '--ip', '192.0.2.70', '--json'])).json().id
    const bin = mkdtempSync(join(tmpdir(), 'ipam-bin-'))
    writeFileSync(join(bin, 'ipam'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
    chmodSync(join(bin, 'ipam'), 0o755)
    const script = await run(['completion', 'bash'])
    expect(script.code).toBe(0)
    const file = join(bin, 'completion.bash')
    writeFileSync(file, script.stdout)
    const env = cleanEnv(home, {PATH: `${bin}:${process.env.PATH}`, IPAM_DATABASE_URL: db.url})
    const complete = (...words: string[]) => {
      const quoted = words.map((w) => `'${w}'`).join(' ')
      const r = spawnSync('bash', ['-c', `source ${file}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _ipam_names; printf '%s\\n' "\${COMPREPLY[@]}"`], {env, encoding: 'utf8', timeout: 60_000})
      return r.stdout.split('\n').filter((l) => l !== '')
    }
    expect(complete('ipam', 'pools', 'show', '')).toEqual(['office'])
    expect(complete('ipam', 'ips', 'list', '--pool', 'of')).toEqual(['office'])
    expect(complete('ipam', 'networks', 'remove', '10.')).toEqual(['10.20.0.0/20'])
    expect(complete('ipam', 'requests', 'approve', '')).toEqual([String(pending)])
    expect(script.stdout).toContain('autocomplete script bash')
    const zsh = await run(['completion', 'zsh'])
    expect(zsh.stdout).toContain('compdef _ipam_names ipam')
    const hidden = await run(['--help'])
    expect(hidden.stdout).not.toMatch(/^\s+complete\s/m)
  })

  it.skipIf(!hasPty)('asks for the typed network name before removing more than 1,000 addresses', async () => {
    const session = runPty(['networks', 'remove', '10.20.0.0/20'], {home, env: {IPAM_DATABASE_URL: db.url}})
    await session.expect('Type the network (10.20.0.0/20)')
    session.write('y\r')
    await session.expect('does not match')
    expect((await session.exited()).code).toBe(6)
    expect((await db.sql("SELECT COUNT(*) AS n FROM ipnet WHERE cidr = '10.20.0.0/20'"))[0].n).toBe('1')
  })

  it.skipIf(!hasPty)('asks for the typed database name before restoring over more than 1,000 addresses', async () => {
    const backup = join(home, 'typed.ipam-backup.gz')
    expect((await run(['backup', '-o', backup])).code).toBe(0)
    const session = runPty(['restore', backup], {home, env: {IPAM_DATABASE_URL: db.url}})
    await session.expect(`Type the database name (${db.name})`)
    session.write(`${db.name}\r`)
    await session.expect('Restored')
    expect((await session.exited()).code).toBe(0)
  })
})

describe('show commands, status tables and triage cards fit the terminal', () => {
  let db: TestDatabase
  let master: TestDatabase
  let platform: TestDatabase
  let clashing: TestDatabase
  let run: ReturnType<typeof cliFor>
  let requestId = 0
  const home = tempHome()
  const POOL = 'racks of the nightly integration pipeline in the east wing'
  const CHILDREN = Array.from({length: 8}, (_, i) => `198.51.100.${128 + i * 16}/28`)

  async function onTerminal(target: TestDatabase, args: string[], cols: number) {
    const session = runPty(args, {cols, home, env: {IPAM_DATABASE_URL: target.url, LANG: 'C.UTF-8', COLUMNS: String(cols), PAGER: ''}})
    const exit = await session.exited()
    return {code: exit.code, output: session.output}
  }
  const tableLines = (output: string) => lines(output).filter((l) => /^[┌│├└]/.test(l))

  beforeAll(async () => {
    db = await freshDatabase('show_fit')
    run = cliFor(db.url, home)
    for (const args of [
      ['networks', 'add', '198.51.100.0/24', '--name', 'a lab network whose name goes on and on for quite a while', '--note', LONG],
      ...CHILDREN.map((cidr) => ['networks', 'add', cidr]),
      ['pools', 'add', POOL, '--note', LONG],
      ['ranges', 'add', POOL, '198.51.100.0/25'],
      ['ips', 'allocate', '198.51.100.10', '--assigned-to', LONG, '--description', LONG],
    ]) {
      const r = await run(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }
    requestId = (await run(['requests', 'submit', '--ip', '198.51.100.20', '--email', 'someone.with.a.long.name@example.com', '--description', LONG, '--json'])).json().id

    // A master, a platform joined to it, and another platform whose network and pool clash with the master's.
    master = await freshDatabase('show_fit_master')
    expect((await cliFor(master.url, home)(['users', 'create', 'admin@example.com', '--admin', '--password-stdin'], {input: 'master-admin-pw'})).code).toBe(0)
    platform = await freshDatabase('show_fit_platform')
    clashing = await freshDatabase('show_fit_clashing')
    for (const target of [platform, clashing]) {
      for (const args of [['networks', 'add', '10.30.0.0/24'], ['pools', 'add', POOL], ['ranges', 'add', POOL, '10.30.0.0/25']]) expect((await cliFor(target.url, home)(args)).code, args.join(' ')).toBe(0)
    }
    const joined = await cliFor(platform.url, home)(['integration', 'setup', '--master', master.url, '--email', 'admin@example.com', '--password-stdin', '--yes'], {input: 'master-admin-pw'})
    expect(joined.code, joined.stderr).toBe(0)
  })
  afterAll(async () => {
    for (const d of [db, master, platform, clashing]) await d?.drop()
  })

  for (const cols of [80, 120]) {
    it.skipIf(!hasPty)(`networks, pools, ips and requests show fit ${cols} columns: free text cut with …, addresses whole`, async () => {
      for (const args of [['networks', 'show', '198.51.100.0/24'], ['pools', 'show', POOL], ['ips', 'show', '198.51.100.10'], ['requests', 'show', String(requestId)]]) {
        const {code, output} = await onTerminal(db, args, cols)
        expect(code, output).toBe(0)
        for (const line of lines(output)) expect(line.length, `${args.join(' ')}: ${line}`).toBeLessThanOrEqual(cols)
        // the long text is cut at 80 columns and whole at 120, where it fits
        expect(output.includes('…'), `${args.join(' ')}:\n${output}`).toBe(cols === 80)
        expect(output.includes(LONG), `${args.join(' ')}:\n${output}`).toBe(cols === 120)
      }
      const network = (await onTerminal(db, ['networks', 'show', '198.51.100.0/24'], cols)).output
      for (const cidr of CHILDREN) expect(network).toMatch(new RegExp(`(^| )${cidr.replace(/\./g, '\\.')}(,|$)`, 'm'))
      expect(network).toContain('198.51.100.0-198.51.100.127')
      // at 80 columns the pool's Network column makes way for the range, which is never cut
      expect((await onTerminal(db, ['pools', 'show', POOL], cols)).output).toMatch(cols === 80 ? /│ 198\.51\.100\.0-198\.51\.100\.127 │ +\d+ │/ : /│ 198\.51\.100\.0-198\.51\.100\.127 │ 198\.51\.100\.0\/24 +│/)
      expect((await onTerminal(db, ['ips', 'show', '198.51.100.10'], cols)).output).toMatch(/^Address +198\.51\.100\.10$/m)
      expect((await onTerminal(db, ['requests', 'show', String(requestId)], cols)).output).toMatch(/^IP +198\.51\.100\.20$/m)
    })

    it.skipIf(!hasPty)(`integration status and check fit ${cols} columns, with networks, ranges and instance ids whole`, async () => {
      const ofMaster = await onTerminal(master, ['integration', 'status'], cols)
      expect(ofMaster.code, ofMaster.output).toBe(0)
      for (const line of lines(ofMaster.output)) expect(line.length, line).toBeLessThanOrEqual(cols)
      expect(ofMaster.output).toMatch(/│ [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} │/)

      const ofPlatform = await onTerminal(platform, ['integration', 'status'], cols)
      expect(ofPlatform.code, ofPlatform.output).toBe(0)
      for (const line of lines(ofPlatform.output)) expect(line.length, line).toBeLessThanOrEqual(cols)
      expect(ofPlatform.output).toMatch(/^Master reachable +yes$/m)

      const check = await onTerminal(clashing, ['integration', 'check', '--master', master.url], cols)
      expect(check.code, check.output).toBe(4)
      const table = tableLines(check.output)
      expect(table.length).toBeGreaterThan(4)
      for (const line of table) expect(line.length, line).toBeLessThanOrEqual(cols)
      expect(check.output).toMatch(/│ same network +│ 10\.30\.0\.0\/24 +│ 10\.30\.0\.0\/24 +│/)
      expect(check.output).toMatch(/│ overlapping range +│ 10\.30\.0\.0-10\.30\.0\.127 [^│]+│ 10\.30\.0\.0-10\.30\.0\.127 [^│]+│/)
      // the pool names are cut (two of them do not fit even 120 columns), the ranges before them never
      expect(check.output).toContain('…')
      expect(check.output).not.toContain(`(pool ${POOL})`)
    })
  }

  it.skipIf(!hasPty)('draws triage cards that fit 80 columns: the description cut with …, the address whole', async () => {
    const session = runPty(['requests', 'triage', '--no-color'], {cols: 80, home, env: {IPAM_DATABASE_URL: db.url, LANG: 'C.UTF-8', COLUMNS: '80'}})
    await session.expect(`Decide #${requestId}`)
    session.write('q')
    expect((await session.exited()).code).toBe(0)
    const card = lines(session.output.slice(0, session.output.indexOf(`Decide #${requestId}`)))
    for (const line of card) expect(line.length, line).toBeLessThanOrEqual(80)
    expect(card).toContain('  IP           198.51.100.20')
    expect(card.find((l) => l.startsWith('  Description  '))).toMatch(/^ {2}Description {2}a build agent .*…$/)
    expect(card.find((l) => l.startsWith('  Nearby       '))).toMatch(/^ {2}Nearby {7}198\.51\.100\.16 /)
  })
})
