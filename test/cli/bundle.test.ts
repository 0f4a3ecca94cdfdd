import {spawnSync} from 'node:child_process'
import {stripVTControlCharacters} from 'node:util'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, expect, it} from 'vitest'

import {BIN, cleanEnv, ROOT, runCli, tempHome} from '../support/cli.js'
// @ts-expect-error: a plain ES module of the build
import {commandFiles, commandId} from '../../scripts/bundle.mjs'

const PLUGIN_COMMANDS = ['help', 'autocomplete', 'autocomplete:create', 'autocomplete:script']

/** Runs the CLI and returns the files it imported (ES modules), relative to the repository. */
function imported(args: string[]): {code: number | null; files: string[]} {
  const trace = join(mkdtempSync(join(tmpdir(), 'ipam-trace-')), 'imports')
  const home = tempHome()
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(ROOT, 'test/support/trace-imports.mjs')).href, BIN, ...args], {
    env: cleanEnv(home, {IPAM_TRACE_IMPORTS: trace}), encoding: 'utf8', timeout: 60_000,
  })
  let text = ''
  try {
    text = readFileSync(trace, 'utf8')
  } catch {}
  const root = pathToFileURL(ROOT).href
  return {code: r.status, files: [...new Set(text.split('\n').filter((u) => u.startsWith('file:')).map((u) => (u.startsWith(root) ? u.slice(root.length + 1) : u)))]}
}

interface Meta {outputs: Record<string, {entryPoint?: string; inputs: Record<string, unknown>; imports: {path: string; kind: string}[]}>}
const meta = (): Meta => JSON.parse(readFileSync(join(ROOT, 'dist/bundle-meta.json'), 'utf8'))

const outputOf = (m: Meta, entryPoint: string) => Object.keys(m.outputs).find((o) => o.endsWith('.js') && m.outputs[o].entryPoint === entryPoint)!
const inputsOf = (m: Meta, outputs: string[]) => outputs.flatMap((o) => Object.keys(m.outputs[o]?.inputs ?? {}))

describe('the bundled CLI', () => {
  it('indexes every file under commands/ (the build generates the index) and the plugins\' commands', async () => {
    const ids: string[] = commandFiles().map((f: string) => commandId(f))
    expect(ids).toContain('networks:list')
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8'))
    expect(Object.keys(manifest.commands).sort()).toEqual([...ids, ...PLUGIN_COMMANDS].sort())
    const {COMMANDS} = await import(pathToFileURL(join(ROOT, 'dist/ipam.js')).href)
    expect(Object.keys(COMMANDS).sort()).toEqual([...ids, ...PLUGIN_COMMANDS].sort())
  })

  it('answers --version without loading any command', () => {
    const r = imported(['--version'])
    expect(r.code).toBe(0)
    expect(r.files).toContain('dist/cli.js')
    expect(r.files).not.toContain('dist/ipam.js')
    expect(r.files.filter((f) => f.includes('node_modules'))).toEqual([])
  })

  it('runs a command loading its own code and what it shares, nothing of other commands, no plugin, prompt, mailer or spinner', () => {
    // what each output file holds (esbuild's metafile, written by the build)
    const m = meta()
    const own = outputOf(m, 'commands/networks/list.ts')
    expect(own).toBeTruthy()
    const r = imported(['networks', 'list', '--json', '--db', 'mysql://nobody@127.0.0.1:1/ipam'])
    expect(r.code).toBe(5)
    expect(r.files).toContain('dist/ipam.js')
    expect(r.files).toContain(own)
    const loaded = r.files.filter((f) => f.startsWith('dist/'))
    const inputs = inputsOf(m, loaded)
    // nor, until used, mysql2's error names, cli-table3 (JSON needs no table), or what oclif requires for
    // features it does not use here (scripts/bundle.mjs: loaded-on-use)
    const deferred = ['node_modules/mysql2/lib/constants/errors.js', 'node_modules/cli-table3/', 'node_modules/semver/', 'node_modules/ejs/', 'node_modules/minimatch/', 'node_modules/tinyglobby/', 'node_modules/cli-spinners/', 'node_modules/debug/']
    for (const unused of ['node_modules/nodemailer/', 'node_modules/@inquirer/', 'node_modules/ora/', 'src/integration/setup.ts', 'src/admin/backup.ts', 'commands/serve.ts', 'commands/networks/add.ts', ...deferred]) {
      expect(inputs.filter((i) => i.startsWith(unused)), `networks list loaded ${unused}`).toEqual([])
    }
    expect(r.files.filter((f) => f.includes('node_modules'))).toEqual([])
  })

  it('loads what it defers when it is used: a table, help text, and oclif\'s debug output with DEBUG', async () => {
    const home = tempHome()
    expect((await runCli(['config', 'set', 'db', 'mysql://u@127.0.0.1/ipam'], {home})).code).toBe(0)
    const table = await runCli(['config', 'list', '-o', 'table'], {home})
    expect(table.stdout).toMatch(/[│|] *Profile *[│|] *Key *[│|]/)
    const help = await runCli(['ips', 'allocate', '--help'])
    expect(help.stdout).toContain('$ ipam ips allocate --pool office')
    const debug = await runCli(['--version'], {env: {DEBUG: 'oclif:main'}})
    expect(debug.stderr).toContain('oclif:main')
  })

  it('keeps the database driver out of commands that need none (config list)', () => {
    const r = imported(['config', 'list'])
    expect(r.code).toBe(0)
    const inputs = inputsOf(meta(), r.files.filter((f) => f.startsWith('dist/')))
    expect(inputs.some((i) => i.startsWith('commands/config/list.ts'))).toBe(true)
    expect(inputs.filter((i) => i.startsWith('node_modules/mysql2/'))).toEqual([])
  })

  it('loads a plugin when its command runs: help, autocomplete, and the not-found suggestion (exit 127)', async () => {
    const help = await runCli(['help', 'networks', 'list'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('$ ipam networks list')
    const helpTopic = await runCli(['help'])
    expect(helpTopic.stdout).toMatch(/^\s+networks\s+Networks/m)
    const ac = await runCli(['autocomplete', 'bash'])
    expect(ac.code).toBe(0)
    expect(ac.stdout).toContain('Setup Instructions for IPAM CLI Autocomplete')
    const unknown = await runCli(['netwrks', 'list'])
    expect(unknown.code).toBe(127)
    // oclif colours its warning when it believes colour is wanted (CI=true does that): compare the text
    expect(stripVTControlCharacters(unknown.stderr)).toContain('netwrks list is not a ipam command')
  })
})
