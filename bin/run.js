#!/usr/bin/env node
import module from 'node:module'

// Node 22+ caches compiled code between runs (start-up matters for a tool that
// scripts call thousands of times); Node 20 has no such cache and skips this.
module.enableCompileCache?.()

// dist/cli.js is oclif bundled into one file (npm run build); the commands are
// found through the index in dist/ipam.js (package.json: oclif.commands).
const {execute} = await import('../dist/cli.js')
await execute({dir: import.meta.url})
