import { availableParallelism } from 'node:os'
import Piscina from 'piscina'
import type { Logger } from 'pino'
import type { PoolStats } from '../../../shared/contract/system'
import { PoolCounters } from './stats'
import type { CpuTask, CpuTaskResultMap, WorkerEnvelope } from './tasks'

export interface CpuPoolOptions {
  /** Absolute path of the built worker entry (out/main/pool-worker.js). */
  workerFile: string
  /** 0 = automatic: cores - 1, at least 1. */
  size: number
  logger: Logger
}

export function effectiveCpuSize(size: number): number {
  return size > 0 ? size : Math.max(1, availableParallelism() - 1)
}

/**
 * The CPU worker pool (piscina). Observable (active, queued, completed, run/wait times); resizing
 * starts a new pool and drains the old one, so running tasks finish.
 */
export class CpuPool {
  private pool: Piscina
  private size: number
  private readonly counters = new PoolCounters()
  private closing = false
  private inFlight = 0

  constructor(private readonly opts: CpuPoolOptions) {
    this.size = effectiveCpuSize(opts.size)
    this.pool = this.create(this.size)
  }

  async run<K extends CpuTask['kind']>(task: Extract<CpuTask, { kind: K }>, signal?: AbortSignal): Promise<CpuTaskResultMap[K]> {
    if (this.closing) throw new Error('the CPU pool is shutting down')
    const submitted = performance.timeOrigin + performance.now()
    this.inFlight++
    try {
      const env = (await this.pool.run(task, { signal })) as WorkerEnvelope<CpuTaskResultMap[K]>
      const done = performance.timeOrigin + performance.now()
      this.counters.wait.add(Math.max(0, env.startedAt - submitted))
      this.counters.run.add(Math.max(0, done - env.startedAt))
      this.counters.completed++
      return env.value
    } catch (err) {
      this.counters.failed++
      throw err
    } finally {
      this.inFlight--
    }
  }

  stats(): PoolStats {
    const snap = this.counters.snapshot('cpu-workers', 'cpu', this.size)
    // piscina knows which submitted tasks still wait for a thread.
    const waiting = this.pool.queueSize
    snap.queued = waiting
    snap.active = Math.max(0, this.inFlight - waiting)
    snap.load = this.size > 0 ? Math.round(Math.min(1, snap.active / this.size) * 100) / 100 : 0
    return snap
  }

  /** Applies a new size setting; running tasks finish on the old threads. */
  resize(size: number): void {
    const next = effectiveCpuSize(size)
    if (next === this.size) return
    const old = this.pool
    this.pool = this.create(next)
    this.size = next
    this.opts.logger.info({ size: next }, 'CPU pool resized')
    void old.close().catch((err: unknown) => this.opts.logger.warn({ err }, 'old CPU pool close failed'))
  }

  /** Drains queued and running tasks, forced after `timeoutMs`. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closing = true
    let timer: NodeJS.Timeout | undefined
    const forced = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs)
    })
    const result = await Promise.race([this.pool.close().then(() => 'drained' as const), forced])
    clearTimeout(timer)
    if (result === 'timeout') {
      this.opts.logger.warn('CPU pool did not drain in time; terminating workers')
      await this.pool.destroy()
    }
  }

  private create(size: number): Piscina {
    const pool = new Piscina({ filename: this.opts.workerFile, minThreads: 1, maxThreads: size, idleTimeout: 30_000 })
    // A worker that fails to start must not take the whole app down; tasks then fail with the reason.
    pool.on('error', (err: unknown) => this.opts.logger.error({ err }, 'CPU worker error'))
    return pool
  }
}
