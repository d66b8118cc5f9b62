import { setTimeout as sleep } from 'node:timers/promises'
import { backoffBase } from '../../../shared/backoff.js'

export interface RetryOptions {
  /** Attempts without progress before giving up. */
  attempts: number
  /** First backoff delay; doubles per attempt (with jitter) up to maxMs. */
  baseMs: number
  maxMs: number
  /** Upper bound for waits a 429 asks for. */
  maxRateLimitWaitMs: number
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 6, baseMs: 1000, maxMs: 8000, maxRateLimitWaitMs: 300_000 }

export const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504])

/**
 * How long to wait before the next try. A 429 honours the Hub's `RateLimit: "bucket";r=0;t=<s>`
 * header, else `Retry-After` (seconds); everything else backs off exponentially with jitter.
 */
export function retryDelay(attempt: number, opts: RetryOptions, headers?: Headers, status?: number): number {
  if (status === 429 && headers) {
    const rl = /;\s*r=(\d+)\s*;\s*t=(\d+)/.exec(headers.get('ratelimit') ?? '')
    if (rl && Number(rl[1]) === 0) return Math.min(opts.maxRateLimitWaitMs, Number(rl[2]) * 1000 + 100)
    const ra = Number(headers.get('retry-after'))
    if (Number.isFinite(ra) && ra > 0) return Math.min(opts.maxRateLimitWaitMs, ra * 1000)
  }
  const exp = backoffBase(attempt, { initialMs: opts.baseMs, maxMs: opts.maxMs })
  return Math.round(exp * (0.5 + Math.random() / 2))
}

export async function wait(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal })
}

/** Network-level failures worth retrying (reset, refused, terminated body, timeouts). */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as NodeJS.ErrnoException).code ?? (err.cause as NodeJS.ErrnoException | undefined)?.code
  if (
    code &&
    [
      'ECONNRESET',
      'ECONNREFUSED',
      'EPIPE',
      'ETIMEDOUT',
      'UND_ERR_SOCKET',
      'UND_ERR_CLOSED',
      'EAI_AGAIN',
      'UND_ERR_CONNECT_TIMEOUT',
    ].includes(code)
  )
    return true
  return err instanceof TypeError || /terminated|socket|other side closed|stalled/i.test(err.message)
}
