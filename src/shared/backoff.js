// @ts-check
// The one exponential backoff (plain JS: the GPU sampler worker runs it from source too; the UI uses it as well).

/**
 * @typedef {{ initialMs: number, maxMs: number, factor?: number, jitter?: number }} BackoffOptions
 *   jitter 0..1: the delay is randomised by ± this fraction (default 0.1).
 */

/**
 * The un-jittered delay before attempt `attempt` (0-based): initial × factor^attempt, capped at max.
 * @param {number} attempt
 * @param {BackoffOptions} opts
 * @returns {number}
 */
export function backoffBase(attempt, opts) {
  return Math.min(opts.maxMs, opts.initialMs * Math.pow(opts.factor ?? 2, attempt))
}

export class Backoff {
  /**
   * @param {BackoffOptions} opts
   * @param {() => number} [random] 0..1, injectable for tests
   */
  constructor(opts, random = Math.random) {
    this.opts = opts
    this.random = random
    /** Failures since the last reset. */
    this.attempts = 0
  }

  /** Delay before the next attempt: initial × factor^(attempts), capped at max, ± jitter. */
  next() {
    const { maxMs, jitter = 0.1 } = this.opts
    const base = backoffBase(this.attempts, this.opts)
    this.attempts++
    const spread = base * jitter * (this.random() * 2 - 1)
    return Math.max(0, Math.min(maxMs, Math.round(base + spread)))
  }

  reset() {
    this.attempts = 0
  }
}
