import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {TestProject} from 'vitest/node'

import {startServer, stopServer} from '../../src/sandbox/server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** mysql://root@127.0.0.1:PORT/ — a server for this test run; each test file makes its own database on it. */
    serverRootUrl: string
  }
}

/** One throwaway MariaDB per test run (reusing the sandbox code), unless IPAM_TEST_DATABASE_URL names one. */
export default async function setup(project: TestProject) {
  if (process.env.IPAM_TEST_DATABASE_URL) {
    project.provide('serverRootUrl', process.env.IPAM_TEST_DATABASE_URL.replace(/\/[^/]*$/, '/'))
    return
  }
  const dir = await mkdtemp(join(tmpdir(), 'ipam-test-server-'))
  const state = await startServer({dir})
  project.provide('serverRootUrl', state.rootUrl)
  return async () => {
    await stopServer(dir)
  }
}
