// Subnet planning rows of `npm run bench` (issue 15), on a database of their own:
// carving the next free /24 in a /8 holding 60,000 /24s (contiguous, and
// scattered at 50% density) against the empty /8, the same as a whole process
// against `networks list --json` on a small database, the next free /64 in a
// /32 holding 100,000 /64s, and `networks free` of the full /8.
import {createAndMigrate} from '../dist/src/db/admin.js'
import {openDatabase} from '../dist/src/db/connect.js'
import {parseDbUrl} from '../dist/src/db/url.js'
import {addNetwork} from '../dist/src/space/networks.js'
import {carveNetworks} from '../dist/src/space/carve.js'

const v4 = (n) => `${n >>> 24}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`

/** Inserts /24 children of the /8 starting at `base`, one per slot number, in batches. */
async function fillSlots(pool, base, slots) {
  for (let i = 0; i < slots.length; i += 5000) {
    const rows = slots.slice(i, i + 5000).map((k) => {
      const n = (base + k * 256) >>> 0
      return [4, n, n + 255, 24, `${v4(n)}/24`, '[]']
    })
    await pool.query('INSERT INTO ipnet (family, network, broadcast, prefix, cidr, locations) VALUES ?', [rows])
  }
}

export async function benchSubnets({rootUrl, env, BIN, log, record, timeRuns, processRuns}) {
  const urlText = `${rootUrl}bench_subnets`
  const smallText = `${rootUrl}bench_subnets_small`
  await createAndMigrate(parseDbUrl(urlText))
  await createAndMigrate(parseDbUrl(smallText))
  const db = await openDatabase(parseDbUrl(urlText))
  const small = await openDatabase(parseDbUrl(smallText))
  const pool = db.pool
  const envBig = {...env, IPAM_DATABASE_URL: urlText}
  try {
    await addNetwork(small.pool, {cidr: '192.0.2.0/24', name: 'small'})
    await addNetwork(small.pool, {cidr: '198.51.100.0/24'})
    for (const cidr of ['11.0.0.0/8', '12.0.0.0/8', '13.0.0.0/8', '2001:db8::/32', '2001:db9::/32']) await addNetwork(pool, {cidr})

    /** Carves one block in-process, then removes it, so that every run sees the same data. */
    const carveOnce = (from, prefix) => timeRuns(
      async () => {
        const r = await carveNetworks(pool, {from, prefix})
        carveOnce.last = r.networks[0]
      },
      undefined,
      () => pool.query('DELETE FROM ipnet WHERE id = ?', [carveOnce.last.id]),
    )

    log('subnets: next free /24 in the empty /8')
    const empty8 = await carveOnce('11.0.0.0/8', 24)
    log('subnets: filling a /8 with 60,000 adjacent /24s, another with 60,000 /24s scattered over 120,000 slots')
    await fillSlots(pool, 12 << 24, Array.from({length: 60_000}, (_, i) => i))
    const slots = Array.from({length: 120_000}, (_, i) => i)
    for (let i = slots.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1))
      ;[slots[i], slots[j]] = [slots[j], slots[i]]
    }
    await fillSlots(pool, 13 << 24, slots.slice(0, 60_000).sort((a, b) => a - b))
    const contiguous = await carveOnce('12.0.0.0/8', 24)
    record('subnets: next free /24 in a /8 holding 60,000 adjacent /24s', contiguous, empty8, '<=2x', {note: 'in-process; floor: the same on the empty /8'})
    const scattered = await carveOnce('13.0.0.0/8', 24)
    record('subnets: next free /24 in a /8 holding 60,000 /24s scattered (50%)', scattered, empty8, '<=2x', {note: 'in-process; floor: the same on the empty /8'})

    log('subnets: whole process, `networks add --from` the full /8 against `networks list --json` on a small database')
    const listSmall = await processRuns([BIN, 'networks', 'list', '--json'], {...env, IPAM_DATABASE_URL: smallText}, 9)
    const carveCli = await processRuns([BIN, 'networks', 'add', '--from', '12.0.0.0/8', '--prefix', '24', '--json'], envBig, 9, async () => {
      await pool.query("DELETE FROM ipnet WHERE family = 4 AND network = ? AND prefix = 24", [(12 << 24) + 60_000 * 256])
    })
    record('subnets: `networks add --from` the full /8, whole process', carveCli.ms, listSmall.ms, '<=1.2x', {rss: carveCli.rss, note: 'floor: `networks list --json` on a database of 2 networks'})

    log('subnets: next free /64 in a /32 holding 100,000 /64s')
    const empty32 = await carveOnce('2001:db8::/32', 64)
    const base6 = 0x20010db9n << 96n
    for (let i = 0; i < 100_000; i += 5000) {
      const rows = []
      for (let k = i; k < i + 5000; k++) {
        const n = base6 + (BigInt(k) << 64n)
        rows.push([6, n, n + (1n << 64n) - 1n, 64, `2001:db9:0:${k.toString(16)}::/64`, '[]'])
      }
      await pool.query('INSERT INTO ipnet (family, network, broadcast, prefix, cidr, locations) VALUES ?', [rows])
    }
    const full32 = await carveOnce('2001:db9::/32', 64)
    record('subnets: next free /64 in a /32 holding 100,000 /64s', full32, empty32, '<=2x', {note: 'in-process; floor: the same on the empty /32'})

    log('subnets: `networks free` of the /8 with 60,000 scattered children, and of the empty /8')
    const freeEmpty = await processRuns([BIN, 'networks', 'free', '11.0.0.0/8', '--json'], envBig, 5)
    const freeFull = await processRuns([BIN, 'networks', 'free', '13.0.0.0/8', '--json'], envBig, 5)
    const blocks = JSON.parse(freeFull.out).blocks
    record('subnets: `networks free` of a /8 holding 60,000 scattered /24s, whole process', freeFull.ms, freeEmpty.ms * 1.5 + 1000, '<=1x', {
      rss: freeFull.rss,
      note: `${blocks} free CIDRs; floor: 1.5x the same on the empty /8 (${Math.round(freeEmpty.ms)} ms, peak ${Math.round(freeEmpty.rss / 1024)} MiB) plus 1 s`,
    })
  } finally {
    await db.close()
    await small.close()
  }
}
