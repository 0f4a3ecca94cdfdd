#!/usr/bin/env node
import module from 'node:module'

// Node 22+ caches compiled code between runs (start-up matters for a tool that
// scripts call thousands of times); Node 20 has no such cache and skips this.
module.enableCompileCache?.()

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
