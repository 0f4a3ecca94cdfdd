import {createHash} from 'node:crypto'

import type {TestDatabase} from './db.js'

/**
 * A checksum of every table in the database, by name: equal maps mean no row
 * changed. CHECKSUM TABLE, except for tables with a stored generated column:
 * there MariaDB's checksum can differ after a rolled-back change although no
 * row did (seen on ipam_ipnet_point), so their rows are hashed instead.
 */
export async function tableChecksums(db: TestDatabase): Promise<Record<string, string>> {
  const tables = await db.sql<{name: string}>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name', [db.name])
  const generated = new Set((await db.sql<{name: string}>("SELECT DISTINCT table_name AS name FROM information_schema.columns WHERE table_schema = ? AND extra LIKE '%GENERATED%'", [db.name])).map((r) => r.name))
  const out: Record<string, string> = {}
  for (const {name} of tables) {
    const quoted = `\`${name.replace(/`/g, '``')}\``
    const [{n}] = await db.sql<{n: string}>(`SELECT COUNT(*) AS n FROM ${quoted}`)
    if (generated.has(name)) {
      const rows = (await db.sql(`SELECT * FROM ${quoted}`)).map((r) => JSON.stringify(r)).sort()
      out[name] = `${n} rows, content ${createHash('sha256').update(rows.join('\n')).digest('hex').slice(0, 16)}`
    } else {
      const [row] = await db.sql<{Checksum: string | null}>(`CHECKSUM TABLE ${quoted}`)
      out[name] = `${n} rows, checksum ${row.Checksum}`
    }
  }
  return out
}
