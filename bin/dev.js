#!/usr/bin/env node
// Development entry: runs the TypeScript sources when a TS loader (ts-node/tsx) is
// registered, else the last build in dist/ (see README, "Development").
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
