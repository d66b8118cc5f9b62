// @ts-check
// Exponential backoff for restarting nvidia-smi (plain JS: used by the sampler worker).

export class Backoff {
  /**
   * @param {import('./types').BackoffOptions} opts
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
    const { initialMs, maxMs, factor = 2, jitter = 0.1 } = this.opts
    const base = Math.min(maxMs, initialMs * Math.pow(factor, this.attempts))
    this.attempts++
    const spread = base * jitter * (this.random() * 2 - 1)
    return Math.max(0, Math.min(maxMs, Math.round(base + spread)))
  }

  reset() {
    this.attempts = 0
  }
}
