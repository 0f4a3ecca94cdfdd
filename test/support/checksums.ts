import type {TestDatabase} from './db.js'

/** CHECKSUM TABLE of every table in the database, by name: equal maps mean no row changed. */
export async function tableChecksums(db: TestDatabase): Promise<Record<string, string>> {
  const tables = await db.sql<{name: string}>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name', [db.name])
  const out: Record<string, string> = {}
  for (const {name} of tables) {
    const [row] = await db.sql<{Checksum: string | null}>(`CHECKSUM TABLE \`${name.replace(/`/g, '``')}\``)
    const [{n}] = await db.sql<{n: string}>(`SELECT COUNT(*) AS n FROM \`${name.replace(/`/g, '``')}\``)
    out[name] = `${n} rows, checksum ${row.Checksum}`
  }
  return out
}
