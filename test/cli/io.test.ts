import {readdirSync, readFileSync, statSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliFor, ROOT, runCli, tempHome} from '../support/cli.js'
import {freshDatabase, serverRootUrl, type TestDatabase} from '../support/db.js'
import {serve, type Served} from '../support/serve.js'

const BOX_DRAWING = /[\u2500-\u257f]/

describe('input and output as documented', () => {
  let db: TestDatabase
  let run: ReturnType<typeof cliFor>
  let home: string
  beforeAll(async () => {
    db = await freshDatabase('io')
    home = tempHome()
    run = cliFor(db.url, home)
    expect((await run(['networks', 'add', '10.17.0.0/24'])).code).toBe(0)
    expect((await run(['networks', 'add', '10.21.0.0/16'])).code).toBe(0)
    expect((await run(['networks', 'add', '10.21.1.0/24'])).code).toBe(0)
    expect((await run(['pools', 'add', 'p23'])).code).toBe(0)
    expect((await run(['ranges', 'add', 'p23', '10.17.0.100-10.17.0.120'])).code).toBe(0)
  })
  afterAll(() => db.drop())

  describe('a CSV header names the columns in any order', () => {
    it('imports a header that reorders every column', async () => {
      const file = join(home, 'reordered.csv')
      await writeFile(file, 'description,assign_type,assigned_to,status,address\nweb front,SERVER,alice,USED,10.17.0.5\n')
      const r = await run(['ips', 'import', file])
      expect(r.code, r.stderr).toBe(0)
      const shown = await run(['ips', 'show', '10.17.0.5', '--json'])
      expect(shown.json()).toMatchObject({address: '10.17.0.5', status: 'USED', assignedTo: 'alice', assignType: 'SERVER', description: 'web front'})
    })

    it('imports a header naming a subset of the columns', async () => {
      const file = join(home, 'subset.csv')
      await writeFile(file, 'status,address\nRESERVED,10.17.0.6\n')
      const r = await run(['ips', 'import', file])
      expect(r.code, r.stderr).toBe(0)
      expect((await run(['ips', 'show', '10.17.0.6', '--json'])).json()).toMatchObject({status: 'RESERVED', assignedTo: null})
    })

    it('refuses unknown column names, naming them, and a header without address; nothing is imported', async () => {
      const unknown = join(home, 'unknown.csv')
      await writeFile(unknown, 'address,colour,owner\n10.17.0.7,red,bob\n')
      const r = await run(['ips', 'import', unknown])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('"colour"')
      expect(r.stderr).toContain('"owner"')
      const noAddress = join(home, 'no-address.csv')
      await writeFile(noAddress, 'status,description\nUSED,x\n')
      const n = await run(['ips', 'import', noAddress, '--json'])
      expect(n.code).toBe(2)
      expect(n.json().error.message).toMatch(/no address column/)
      expect(await db.sql("SELECT COUNT(*) AS n FROM ip WHERE addr = INET_ATON('10.17.0.7')")).toEqual([{n: '0'}])
    })
  })

  it('shows a control character escaped once, distinct from a typed backslash, in text and JSON', async () => {
    const realEsc = await run(['ips', 'show', 'x\u001by'])
    const typed = await run(['ips', 'show', 'x\\x1by'])
    expect(realEsc.code).toBe(2)
    expect(typed.code).toBe(2)
    expect(realEsc.stderr).toContain('"x\\x1by"')
    expect(realEsc.stderr).not.toContain('\\\\x1b')
    expect(realEsc.stderr).not.toContain('\u001b[')
    expect(typed.stderr).toContain('"x\\\\x1by"')
    const realJson = (await run(['ips', 'show', 'x\u001by', '--json'])).json().error.message
    const typedJson = (await run(['ips', 'show', 'x\\x1by', '--json'])).json().error.message
    expect(realJson).toContain('"x\\x1by"')
    expect(typedJson).toContain('"x\\\\x1by"')
    expect(realJson).not.toBe(typedJson)
  })

  it('draws table borders in ASCII with --ascii and on a terminal without UTF-8', async () => {
    // a pipe gets TSV by default: --output table asks for the table a terminal would get
    const unicode = await run(['networks', 'list', '--output', 'table'], {env: {LC_ALL: 'C.UTF-8'}})
    expect(unicode.code).toBe(0)
    expect(unicode.stdout).toMatch(BOX_DRAWING)
    const ascii = await run(['networks', 'list', '--ascii', '--output', 'table'], {env: {LC_ALL: 'C.UTF-8'}})
    expect(ascii.code).toBe(0)
    expect(ascii.stdout).toContain('10.21.1.0/24')
    expect(ascii.stdout).not.toMatch(BOX_DRAWING)
    expect(ascii.stdout).toMatch(/^\+-+\+/m)
    const plain = await run(['pools', 'list', '--output', 'table'], {env: {LC_ALL: 'C'}})
    expect(plain.code).toBe(0)
    expect(plain.stdout).toContain('p23')
    expect(plain.stdout).not.toMatch(BOX_DRAWING)
  })

  describe('global flags', () => {
    const GLOBAL = ['db', 'profile', 'json', 'color', 'verbose']
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {flags: Record<string, unknown>; description?: string}>}

    // ours: not oclif's own help and autocomplete (their flags are oclif's), nor hidden helpers
    const OCLIF_PLUGIN_COMMANDS = /^(help|autocomplete)(:|$)/
    const ipamCommands = Object.fromEntries(Object.entries(manifest.commands).filter(([id, c]) => !OCLIF_PLUGIN_COMMANDS.test(id) && !(c as {hidden?: boolean}).hidden))

    it('every command takes each global flag, or its --help says the flag does not apply', () => {
      const missing: string[] = []
      for (const [id, command] of Object.entries(ipamCommands)) {
        for (const flag of GLOBAL) {
          if (flag in command.flags) continue
          const sentence = /The global flags? ([^:]*) do(?:es)? not apply: [^.]+\./.exec(command.description ?? '')
          if (!sentence || !sentence[1].split(/,\s*|\s+and\s+/).includes(`--${flag}`)) missing.push(`${id.replace(/:/g, ' ')}: --${flag}`)
        }
      }
      expect(Object.keys(manifest.commands).length).toBeGreaterThan(40)
      expect(missing).toEqual([])
    })

    it('the README lists every global flag and every command that does not take one', () => {
      const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
      for (const flag of ['--db', '--profile', '--json', '--no-color', '--verbose']) expect(readme).toMatch(new RegExp(`^\\| \`${flag}[ \`]`, 'm'))
      for (const [id, command] of Object.entries(ipamCommands)) {
        if (!('db' in command.flags)) expect(readme, id).toContain(`\`${id.split(':')[0]}\``)
      }
    })

    it('config says in --help that --db does not apply, and config list takes --profile', async () => {
      const help = await runCli(['config', 'list', '--help'])
      expect(help.stdout).toContain('The global flag --db does not apply')
      await run(['config', 'set', 'mail-from', 'a@example.com', '--profile', 'one'])
      await run(['config', 'set', 'mail-from', 'b@example.com', '--profile', 'two'])
      const one = await run(['config', 'list', '--profile', 'one', '--no-color', '--verbose', '--json'])
      expect(one.code, one.stderr).toBe(0)
      expect(one.json().values).toEqual([{profile: 'one', key: 'mail-from', value: 'a@example.com'}])
      const refused = await runCli(['sandbox', 'status', '--db', 'mysql://u@h/d'])
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('The global flags --db and --profile do not apply')
    })
  })

  describe('networks and field names', () => {
    it('ips list --json and ips export --json name each address\'s most specific network', async () => {
      expect((await run(['ips', 'allocate', '10.21.0.5'])).code).toBe(0)
      expect((await run(['ips', 'allocate', '10.21.1.5'])).code).toBe(0)
      const byAddress = (rows: {address: string; network: string | null}[]) => Object.fromEntries(rows.map((r) => [r.address, r.network]))
      const list = await run(['ips', 'list', '--network', '10.21.0.0/16', '--json'])
      expect(byAddress(list.json())).toEqual({'10.21.0.5': '10.21.0.0/16', '10.21.1.5': '10.21.1.0/24'})
      const exported = await run(['ips', 'export', '--network', '10.21.0.0/16', '--json'])
      expect(byAddress(exported.json())).toEqual({'10.21.0.5': '10.21.0.0/16', '10.21.1.5': '10.21.1.0/24'})
      expect((await run(['ips', 'show', '10.21.1.5', '--json'])).json().network).toBe('10.21.1.0/24')
    })

    it('requests list --network includes the requests of its child networks', async () => {
      expect((await run(['requests', 'submit', '--ip', '10.21.0.9'])).code).toBe(0)
      expect((await run(['requests', 'submit', '--ip', '10.21.1.9'])).code).toBe(0)
      const parent = await run(['requests', 'list', '--network', '10.21.0.0/16', '--json'])
      expect(parent.json().map((r: {ip: string}) => r.ip).sort()).toEqual(['10.21.0.9', '10.21.1.9'])
      const child = await run(['requests', 'list', '--network', '10.21.1.0/24', '--json'])
      expect(child.json().map((r: {ip: string}) => r.ip)).toEqual(['10.21.1.9'])
    })

    describe('over HTTP', () => {
      let server: Served
      beforeAll(async () => {
        server = await serve(db.url)
      })
      afterAll(async () => {
        server.child.kill('SIGTERM')
        await server.exited
      })

      it('names the ipRange field as the agent sends it', async () => {
        const res = await fetch(`${server.base}/v1/agent/ipam/request`, {method: 'POST', body: 'ip=10.21.0.20&ipRange=10.21.0.30-10.21.0.10', headers: {'content-type': 'application/x-www-form-urlencoded'}})
        const body = (await res.json()) as {valid: boolean; message: string}
        expect(body.valid).toBe(false)
        expect(body.message).toContain('ipRange')
        expect(body.message).not.toMatch(/ip[-_]range/)
      })
    })
  })

  it('a database URL without a database name is a usage error saying to add /DBNAME', async () => {
    const root = serverRootUrl().replace(/\/$/, '')
    for (const url of [root, `${root}/`]) {
      const r = await runCli(['ips', 'list'], {env: {IPAM_DATABASE_URL: url}})
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toContain('/DBNAME')
      expect(r.stderr).not.toMatch(/bug/)
    }
    const j = await runCli(['networks', 'list', '--db', root, '--json'])
    expect(j.code).toBe(2)
    expect(j.json().error.message).toContain('/DBNAME')
  })

  describe('counts read as English', () => {
    it('says "1 address" and "2 addresses"', async () => {
      const one = await run(['ips', 'allocate', '--pool', 'p23'])
      expect(one.stderr).toContain('Allocated 1 address from pool p23')
      const two = await run(['ips', 'allocate', '--pool', 'p23', '--count', '2'])
      expect(two.stderr).toContain('Allocated 2 addresses from pool p23')
      const file = join(home, 'one.csv')
      await writeFile(file, '10.17.0.9,USED,,,\n')
      expect((await run(['ips', 'import', file])).stdout).toContain('Imported 1 address.')
      const exported = await run(['ips', 'export', '--pool', 'p23'])
      expect(exported.stderr).toContain('Exported 3 addresses.')
    })

    it('no message in src/ or commands/ writes "(s)" or "(es)"', () => {
      const found: string[] = []
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name)
          if (statSync(path).isDirectory()) walk(path)
          else if (name.endsWith('.ts')) {
            readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
              // a noun with "(s)"/"(es)" glued on; `.split(s)` and `(s) =>` are code
              if (/(?<![.\w])[a-z]+\(e?s\)(?!\s*=>)/.test(line)) found.push(`${path.slice(ROOT.length + 1)}:${i + 1}: ${line.trim()}`)
            })
          }
        }
      }
      walk(join(ROOT, 'src'))
      walk(join(ROOT, 'commands'))
      expect(found).toEqual([])
    })
  })
})
