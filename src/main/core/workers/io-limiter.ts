import pLimit, { type LimitFunction } from 'p-limit'
import type { PoolStats } from '../../../shared/contract/system'
import { PoolCounters } from './stats'

/**
 * Bounds parallel I/O (file transfers, Docker calls) with p-limit; resizable live from Settings,
 * observable like the CPU pool, and drained on quit.
 */
export class IoLimiter {
  private readonly limit: LimitFunction
  private readonly counters = new PoolCounters()
  private closing = false
  private idleWaiters: (() => void)[] = []

  constructor(concurrency: number) {
    this.limit = pLimit(concurrency)
  }

  run<T>(fn: (signal?: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.closing) return Promise.reject(new Error('the I/O limiter is shutting down'))
    const submitted = performance.now()
    return this.limit(async () => {
      const started = performance.now()
      this.counters.wait.add(started - submitted)
      signal?.throwIfAborted()
      this.counters.active++
      try {
        const v = await fn(signal)
        this.counters.completed++
        return v
      } catch (err) {
        this.counters.failed++
        throw err
      } finally {
        this.counters.active--
        this.counters.run.add(performance.now() - started)
        this.notifyIdle()
      }
    })
  }

  resize(concurrency: number): void {
    this.limit.concurrency = concurrency
  }

  stats(): PoolStats {
    const snap = this.counters.snapshot('io', 'io', this.limit.concurrency)
    snap.queued = this.limit.pendingCount
    return snap
  }

  /** Stops accepting work; waits for running and queued operations, at most `timeoutMs`. */
  async close(timeoutMs = 5000): Promise<'drained' | 'timeout'> {
    this.closing = true
    if (this.isIdle()) return 'drained'
    let timer: NodeJS.Timeout | undefined
    const idle = new Promise<'drained'>((r) => this.idleWaiters.push(() => r('drained')))
    const forced = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs)
    })
    const result = await Promise.race([idle, forced])
    clearTimeout(timer)
    if (result === 'timeout') this.limit.clearQueue()
    return result
  }

  private isIdle(): boolean {
    return this.counters.active === 0 && this.limit.pendingCount === 0
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const w of waiters) w()
  }
}
