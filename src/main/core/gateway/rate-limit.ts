const WINDOW_MS = 60_000

/** Times of the requests of the last minute, oldest first (a queue with a moving head). */
interface Log {
  times: number[]
  head: number
}

/**
 * Requests per minute per key, as a sliding window: a request is allowed when fewer than `perMinute` were allowed in
 * the 60 s before it; otherwise the answer says when the oldest of them leaves the window (Retry-After).
 */
export class RateLimiter {
  readonly #logs = new Map<string, Log>()
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  take(keyId: string, perMinute: number): { ok: true } | { ok: false; retryAfterS: number } {
    const now = this.#now()
    let log = this.#logs.get(keyId)
    if (!log) {
      log = { times: [], head: 0 }
      this.#logs.set(keyId, log)
    }
    while (log.head < log.times.length && (log.times[log.head] as number) <= now - WINDOW_MS) log.head++
    if (log.head > 1024 && log.head * 2 > log.times.length) {
      log.times = log.times.slice(log.head)
      log.head = 0
    }
    const inWindow = log.times.length - log.head
    if (inWindow >= perMinute) {
      // The request that frees a slot is the one perMinute places before the end.
      const oldest = log.times[log.times.length - perMinute] as number
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000)) }
    }
    log.times.push(now)
    return { ok: true }
  }

  /** Drop a revoked key's history. */
  forget(keyId: string): void {
    this.#logs.delete(keyId)
  }
}
