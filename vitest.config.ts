import {accessSync, chmodSync, constants, mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {defineConfig} from 'vitest/config'

// The throwaway servers (the suite's, the masters', the sandboxes' under each
// test's home) and every temporary file live in memory when the machine has a
// tmpfs at /dev/shm: a migration there takes ~0.1 s instead of ~1 s on disk.
// Workers and the CLI processes they start inherit TMPDIR; the folder goes
// when vitest exits. IPAM_TEST_TMPDIR=disk keeps the system's temp folder.
function memoryTmpdir(): void {
  if (process.env.IPAM_TEST_TMPDIR === 'disk' || process.env.IPAM_TEST_TMPDIR_OWNER) return
  try {
    accessSync('/dev/shm', constants.W_OK)
  } catch {
    return
  }
  const dir = mkdtempSync(join('/dev/shm', 'ipt-'))
  // as /tmp: the Galera nodes run as the mysql user when the suite runs as root
  chmodSync(dir, 0o1777)
  process.env.TMPDIR = dir
  process.env.IPAM_TEST_TMPDIR_OWNER = String(process.pid)
  process.on('exit', () => rmSync(dir, {recursive: true, force: true}))
}
memoryTmpdir()

const shared = {
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 120_000,
  hookTimeout: 180_000,
  pool: 'forks' as const,
  disableConsoleIntercept: true,
}

export default defineConfig({
  test: {
    maxWorkers: 2,
    reporters: ['default', ['json', {outputFile: '.vitest-results.json'}]],
    // The Galera cluster file runs after the rest, alone: under the load of another
    // suite its three nodes can stall for minutes while they evict a killed node.
    projects: [
      {test: {...shared, name: 'main', include: ['test/**/*.test.ts'], exclude: ['test/cluster/**'], sequence: {groupOrder: 0}}},
      {test: {...shared, name: 'cluster', include: ['test/cluster/**/*.test.ts'], sequence: {groupOrder: 1}}},
    ],
  },
})
