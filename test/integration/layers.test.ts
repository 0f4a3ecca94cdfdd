import {readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {describe, expect, it} from 'vitest'

import {ROOT} from '../support/cli.js'

/** The modules a file loads, followed through relative imports (static and dynamic). */
function closure(start: string): Set<string> {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
      const target = resolve(dirname(file), m[1]).replace(/\.js$/, '.ts')
      visit(target)
    }
  }
  visit(start)
  return new Set([...seen].map((f) => relative(ROOT, f)))
}

function commandFiles(dir = join(ROOT, 'commands')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? commandFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

const SETUP_ONLY = ['src/integration/setup.ts', 'src/admin/backup.ts', 'src/admin/users.ts', 'src/integration/dns.ts', 'src/integration/conflicts.ts']

describe('start-up loads only what a command runs', () => {
  it('routing (loaded by every database command) pulls in none of setup, backup, users, purge, conflicts or dns', () => {
    const loaded = closure(join(ROOT, 'src/cli/db-command.ts'))
    expect(loaded).toContain('src/integration/routing.ts')
    expect(loaded).toContain('src/integration/state.ts')
    for (const heavy of [...SETUP_ONLY, 'src/admin/purge.ts']) expect(loaded, heavy).not.toContain(heavy)
  })

  it('no command but `integration setup` loads integration/setup', () => {
    const offenders = commandFiles()
      .filter((f) => !f.endsWith(join('integration', 'setup.ts')))
      .filter((f) => closure(f).has('src/integration/setup.ts'))
      .map((f) => relative(ROOT, f))
    expect(offenders).toEqual([])
  })
})
