// Preloaded into measured processes (NODE_OPTIONS=--import): writes the peak RSS (KiB) on exit.
import {writeFileSync} from 'node:fs'

const file = process.env.IPAM_BENCH_RSS_FILE
if (file) process.on('exit', () => {
  try {
    writeFileSync(file, String(process.resourceUsage().maxRSS))
  } catch {}
})
