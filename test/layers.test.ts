import {readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** Every relative import of a file, as a path from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  // static imports (one line or many) and dynamic import('…')
  return [...text.matchAll(/\bfrom\s+'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/g)].map((m) => relative(ROOT, resolve(dirname(file), m[1] ?? m[2])).replace(/\.js$/, '.ts'))
}

const layerOf = (path: string): string => {
  if (path.startsWith('src/cli/')) return 'cli'
  if (/^src\/(db|net)\//.test(path) || /^src\/(errors|text|interrupt|mask|outcome)\.ts$/.test(path)) return 'base'
  if (path.startsWith('src/')) return 'domain'
  return 'other'
}

describe('the layers of ARCHITECTURE.md', () => {
  const files = sources(join(ROOT, 'src')).map((f) => relative(ROOT, f))

  it('nothing in src/ below the CLI layer imports src/cli', () => {
    const offenders = files.filter((f) => layerOf(f) !== 'cli').flatMap((f) => importsOf(join(ROOT, f)).filter((i) => layerOf(i) === 'cli').map((i) => `${f} -> ${i}`))
    expect(offenders).toEqual([])
  })

  it('src/db, src/net and the ground-floor modules import neither the domain nor the CLI', () => {
    const offenders = files.filter((f) => layerOf(f) === 'base').flatMap((f) => importsOf(join(ROOT, f)).filter((i) => layerOf(i) === 'domain' || layerOf(i) === 'cli').map((i) => `${f} -> ${i}`))
    expect(offenders).toEqual([])
  })

  it('commands write no SQL', () => {
    const offenders = sources(join(ROOT, 'commands')).filter((f) => /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f))
    expect(offenders).toEqual([])
  })
})
