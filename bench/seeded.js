/**
 * A seeded generator (mulberry32): the same "random" numbers in [0, 1) on every
 * run, so that a bench fill or a failing randomised test can be replayed. The
 * bench and the tests (test/space, test/integration) share it.
 */
export function seeded(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
