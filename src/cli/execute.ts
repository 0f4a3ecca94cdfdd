// The entry bin/run.js loads (bundled as dist/cli.js): oclif alone, enough for
// --version and --help; a command's code (dist/ipam.js) is loaded only to run it.
export {execute} from '@oclif/core'
