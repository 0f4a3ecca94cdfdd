import type {ChalkInstance} from 'chalk'

/** A coloured status word; the word itself carries the meaning without colour. */
export function statusBadge(status: string, c: ChalkInstance): string {
  if (status === 'PENDING') return c.yellow(status)
  if (status === 'APPROVED') return c.green(status)
  if (status === 'REJECTED') return c.red(status)
  return status
}

/** "3d 4h", "5m": how long ago a UTC timestamp was. */
export function age(utc: string, now = Date.now()): string {
  const then = Date.parse(`${utc.replace(' ', 'T')}Z`)
  if (Number.isNaN(then)) return '?'
  let s = Math.max(0, Math.floor((now - then) / 1000))
  const d = Math.floor(s / 86_400)
  s -= d * 86_400
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  if (d > 0) return `${d}d ${h}h`
  if (h > 0) return `${h}h ${m}m`
  if (m > 0) return `${m}m`
  return `${s}s`
}
