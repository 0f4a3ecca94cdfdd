// oclif writes commands in directory-listing order, which differs between
// checkouts; sorting them makes the committed manifest reproducible. Characters
// outside ASCII are written as \u escapes: every command start reads this file,
// and one such character makes the whole text a two-byte string (twice the memory).
import {readFileSync, writeFileSync} from 'node:fs'

const file = new URL('../oclif.manifest.json', import.meta.url)
const manifest = JSON.parse(readFileSync(file, 'utf8'))
manifest.commands = Object.fromEntries(Object.entries(manifest.commands).sort(([a], [b]) => a.localeCompare(b)))
const ascii = JSON.stringify(manifest, null, 2).replace(/[^\x00-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
writeFileSync(file, `${ascii}\n`)
