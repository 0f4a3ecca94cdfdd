import {defineConfig} from 'vitest/config'

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
