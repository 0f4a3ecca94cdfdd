import type {Command, Config} from '@oclif/core'

/**
 * A stand-in in the command index (dist/ipam.js, oclif's `explicit` discovery
 * strategy) for a command whose code is imported only when it runs: each of
 * our commands is a chunk of its own, and the plugins' commands (help,
 * autocomplete) stay in their packages. oclif takes everything else it needs
 * (flags, help) from oclif.manifest.json. `meta` is what `oclif manifest`
 * reads: the plugins' commands carry the entry of their plugin's manifest
 * (copied by scripts/bundle.mjs); ours need none.
 */
export function lazyCommand(load: () => Promise<{default: Command.Class}>, meta: Record<string, unknown>): Command.Class {
  const Lazy = class {
    static id = ''
    static plugin: unknown

    static async run(argv?: string[], config?: Config) {
      const {default: Real} = await load()
      Real.id = Lazy.id
      if (Lazy.plugin) Real.plugin = Lazy.plugin as Command.Class['plugin']
      return Real.run(argv, config)
    }
  }
  Object.assign(Lazy, meta)
  return Lazy as unknown as Command.Class
}

/** The URL of a file inside an installed package, relative to the package's main module. */
export function packageFile(pkg: string, relative: string): string {
  return new URL(relative, import.meta.resolve(pkg)).href
}
