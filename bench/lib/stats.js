// @ts-check
// Pure figures for the benchmarks: percentiles, added-latency and throughput ratios, goals (unit-tested in
// test/bench/stats.test.ts).

/** Rounded to 2 decimals (ms figures), null stays null. @param {number | null} x */
export const round2 = (x) => (x === null ? null : Math.round(x * 100) / 100)

/**
 * The p-th percentile (nearest rank: the smallest value with at least p% of the values at or below it).
 * @param {readonly number[]} values
 * @param {number} p 0..100
 * @returns {number | null} null when there are no values
 */
export function percentile(values, p) {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0..100, got ${p}`)
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return /** @type {number} */ (sorted[rank - 1])
}

/** @typedef {{ n: number, p50: number | null, p99: number | null }} Summary */

/** p50 and p99 of latencies in ms. @param {readonly number[]} ms @returns {Summary} */
export const summarize = (ms) => ({ n: ms.length, p50: round2(percentile(ms, 50)), p99: round2(percentile(ms, 99)) })

/**
 * What a proxy adds over going direct, per percentile (ms; may be negative within noise).
 * @param {Summary} proxied @param {Summary} direct
 */
export function added(proxied, direct) {
  const d = (/** @type {number | null} */ a, /** @type {number | null} */ b) => (a === null || b === null ? null : round2(a - b))
  return { p50: d(proxied.p50, direct.p50), p99: d(proxied.p99, direct.p99) }
}

/**
 * a ÷ b, 2 decimals; null when either is missing or b is not positive (a ratio to nothing or to a negative "added"
 * latency — nginx measured as fast as direct — says nothing; the goal's own comparison still applies).
 * @param {number | null} a @param {number | null} b
 */
export function ratio(a, b) {
  if (a === null || b === null || !(b > 0)) return null
  return Math.round((a / b) * 100) / 100
}

/**
 * A goal as the report shows it: never an assertion. `atMost`: value ≤ limit; `atLeast`: value ≥ limit.
 * @param {string} goal the goal in words
 * @param {number | null} value
 * @param {'atMost' | 'atLeast'} kind
 * @param {number} limit
 */
export function goal(goal, value, kind, limit) {
  const met = value === null ? null : kind === 'atMost' ? value <= limit : value >= limit
  return { goal, value, met }
}

/**
 * Gateway vs nginx on added latency: met when the gateway adds at most `factor` × what nginx adds. Compared
 * directly (not through the ratio) so it holds when nginx adds nothing measurable: then the gateway must not add
 * more than nginx either.
 * @param {number | null} gatewayAdded @param {number | null} nginxAdded @param {number} factor
 */
export function addedLatencyGoal(gatewayAdded, nginxAdded, factor) {
  const value = ratio(gatewayAdded, nginxAdded)
  const met = gatewayAdded === null || nginxAdded === null ? null : gatewayAdded <= Math.max(factor * nginxAdded, nginxAdded)
  return { goal: `gateway's added latency ≤ ${factor}× nginx's`, value, met }
}
