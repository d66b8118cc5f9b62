// @ts-check
/**
 * A deterministic 24-hour request trace for the planner benchmark (pure: same seed → same trace).
 * Each model gets sessions (bursts) arriving as a Poisson process whose rate follows the day (quiet at night, busy
 * 9–18 h); a session is a run of requests a few seconds apart, each holding the model for its generation time.
 */

/** mulberry32: a small seeded PRNG, uniform in [0, 1). @param {number} seed */
export function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Exponential with this mean. @param {() => number} rnd @param {number} mean */
const exp = (rnd, mean) => -Math.log(1 - rnd()) * mean

/** Relative load over the day (peak 1): office hours busy, nights quiet. @param {number} hour 0..24 */
export function dayShape(hour) {
  const h = hour % 24
  if (h >= 9 && h < 18) return 1
  if ((h >= 7 && h < 9) || (h >= 18 && h < 22)) return 0.45
  return 0.08
}

/**
 * @typedef {{ id: string, sessionsPerDay: number, requestsPerSession: number, gapSeconds: number, durationSeconds: number }} TrafficSpec
 * @typedef {{ at: number, model: string, duration: number, n: number }} TraceRequest  at and duration in seconds
 */

/**
 * The trace: requests sorted by time (ties by model id), numbered n = 0, 1, …
 * @param {{ seed: number, hours?: number, models: readonly TrafficSpec[] }} o
 * @returns {TraceRequest[]}
 */
export function makeTrace(o) {
  const hours = o.hours ?? 24
  const end = hours * 3600
  /** @type {Omit<TraceRequest, 'n'>[]} */
  const out = []
  o.models.forEach((m, i) => {
    if (!(m.sessionsPerDay > 0 && m.requestsPerSession >= 1))
      throw new Error(`makeTrace: ${m.id} needs sessionsPerDay > 0 and requestsPerSession ≥ 1`)
    const rnd = prng((o.seed * 7919 + i * 104729) >>> 0)
    // Thinning: candidate sessions at the peak rate, each kept with probability dayShape(hour).
    const peakPerSecond = m.sessionsPerDay / (24 * 3600) / 0.5
    for (let t = exp(rnd, 1 / peakPerSecond); t < end; t += exp(rnd, 1 / peakPerSecond)) {
      if (rnd() >= dayShape(t / 3600)) continue
      const n = 1 + Math.floor(exp(rnd, m.requestsPerSession - 1))
      let at = t
      for (let k = 0; k < n && at < end; k++) {
        out.push({ at: Math.round(at * 1000) / 1000, model: m.id, duration: Math.round((0.2 + exp(rnd, m.durationSeconds)) * 1000) / 1000 })
        at += exp(rnd, m.gapSeconds)
      }
    }
  })
  out.sort((a, b) => a.at - b.at || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0))
  return out.map((r, n) => ({ ...r, n }))
}
