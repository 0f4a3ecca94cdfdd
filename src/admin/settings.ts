import type {Pool} from 'mysql2/promise'

/** Utilization thresholds for bars (settings utilization-warn / utilization-critical). */
export async function utilizationThresholds(pool: Pool): Promise<{warn: number; critical: number}> {
  const [rows] = await pool.query<any[]>("SELECT name, value FROM ipam_settings WHERE name IN ('utilization-warn', 'utilization-critical')")
  const get = (name: string, fallback: number) => {
    const v = Number(rows.find((r) => r.name === name)?.value)
    return Number.isFinite(v) && v > 0 && v <= 100 ? v : fallback
  }
  return {warn: get('utilization-warn', 80), critical: get('utilization-critical', 95)}
}
