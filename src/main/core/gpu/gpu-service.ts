import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import type { GpuFault, GpuHistory, GpusSnapshot } from '../../../shared/contract/gpu'
import { Backoff } from '../../../shared/backoff.js'
import { latestOnly, Publisher, type Disposable } from '../events/publisher'
import type { SettingsService } from '../settings/settings-service'
import { attribute, type ContainerRef, type PidResolver } from './attribution'
import { GpuHistoryStore } from './history'
import type { BackoffOptions, ComputeApp, FaultInfo, FromWorker, GpuRow, ToWorker } from './types'

export interface GpuTuning {
  backoff: BackoffOptions
  /** Compute apps every max(this, 3 × interval) ms. */
  appsEveryMs: number
  /** Samples kept per GPU (default: 1 h at the fastest allowed interval, 250 ms). */
  historyCapacity: number
}

export interface GpuServiceDeps {
  settings: SettingsService
  logger: Logger
  /** The sampler worker entry (gpu-worker.js, source or built). */
  workerFile: string
  /** nvidia-smi to run: INFERADMIN_NVIDIA_SMI or `nvidia-smi` from PATH. */
  smiPath: string
  resolvePids: PidResolver
  tuning?: Partial<GpuTuning>
}

export const DEFAULT_TUNING: GpuTuning = {
  backoff: { initialMs: 1000, maxMs: 15_000, factor: 2, jitter: 0.1 },
  appsEveryMs: 2000,
  historyCapacity: 14_400,
}

/**
 * Live GPU state: a worker thread owns one long-lived nvidia-smi loop and posts parsed samples;
 * this service attributes memory to containers, keeps history, publishes snapshots (latest-wins)
 * and reports faults instead of zeros. The interval follows Settings.gpuRefreshMs live.
 */
export class GpuService {
  private worker: Worker | undefined
  private rows: GpuRow[] = []
  private at: number | null = null
  private fault: GpuFault | null = null
  private apps: { at: number; list: ComputeApp[] } | null = null
  private owners = new Map<number, ContainerRef>()
  private current: GpusSnapshot
  private readonly history: GpuHistoryStore
  private readonly snapshots: Publisher<GpusSnapshot>
  private readonly tuning: GpuTuning
  private readonly resolveAbort = new AbortController()
  private resolving = false
  /** Delay before starting a new sampler worker after one exited (reset by its first sample). */
  private readonly workerRestarts: Backoff
  private disposed: Promise<void> | undefined
  private readonly unsubscribe: { dispose(): void }

  constructor(private readonly deps: GpuServiceDeps) {
    this.tuning = { ...DEFAULT_TUNING, ...deps.tuning }
    this.history = new GpuHistoryStore(this.tuning.historyCapacity)
    this.workerRestarts = new Backoff({ initialMs: this.tuning.backoff.initialMs, maxMs: 60_000, jitter: 0 })
    this.current = this.build()
    this.snapshots = new Publisher({ onListenerError: (err) => deps.logger.error({ err }, 'GPU snapshot listener failed') })
    this.unsubscribe = deps.settings.onChange((next, prev) => {
      if (next.gpuRefreshMs !== prev.gpuRefreshMs) {
        deps.logger.info({ intervalMs: next.gpuRefreshMs }, 'GPU refresh interval changed; restarting the sampler loop')
        this.configure()
      }
    })
  }

  get intervalMs(): number {
    return this.deps.settings.get().gpuRefreshMs
  }

  start(): void {
    if (this.worker || this.disposed) return
    const worker = new Worker(this.deps.workerFile)
    this.worker = worker
    worker.on('message', (msg: FromWorker) => this.onMessage(msg))
    worker.on('error', (err) => this.deps.logger.error({ err }, 'GPU sampler worker failed'))
    worker.on('exit', (code) => {
      if (this.worker !== worker) return
      this.worker = undefined
      if (this.disposed) return
      const delay = this.workerRestarts.next()
      this.deps.logger.error({ code, delay }, 'GPU sampler worker exited; starting a new one')
      setTimeout(() => this.start(), delay).unref()
    })
    this.configure()
  }

  private configure(): void {
    const intervalMs = this.intervalMs
    const msg: ToWorker = {
      type: 'config',
      smiPath: this.deps.smiPath,
      intervalMs,
      appsEveryMs: Math.max(this.tuning.appsEveryMs, intervalMs * 3),
      backoff: this.tuning.backoff,
      stallMs: Math.max(10_000, intervalMs * 5),
    }
    this.worker?.postMessage(msg)
    this.publish()
  }

  snapshot(): GpusSnapshot {
    return this.current
  }

  getHistory(seconds: number): GpuHistory {
    return { intervalMs: this.intervalMs, seconds, gpus: this.history.since(Date.now() - seconds * 1000) }
  }

  /** Called on every new snapshot (sample, fault, attribution change). */
  onSnapshot(listener: (s: GpusSnapshot) => void): Disposable {
    return this.snapshots.subscribe(listener)
  }

  /** The current snapshot, then the newest one whenever the consumer is ready (no backlog). */
  watch(signal?: AbortSignal): AsyncGenerator<GpusSnapshot> {
    return this.snapshots.stream(signal, { initial: () => [this.current], enqueue: latestOnly })
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case 'sample':
        this.workerRestarts.reset()
        if (msg.partialFault) this.setFault(msg.partialFault, 0, null)
        else if (this.fault) {
          this.deps.logger.info({ after: this.fault.kind }, 'GPU telemetry is back')
          this.fault = null
        }
        this.rows = msg.rows
        this.at = msg.at
        this.history.push(msg.at, msg.rows)
        this.publish()
        return
      case 'apps':
        void this.resolveApps(msg.at, msg.apps)
        return
      case 'appsError':
        this.deps.logger.debug({ message: msg.message }, 'compute-apps query failed')
        return
      case 'fault':
        this.setFault(msg.fault, msg.attempts, msg.retryAt)
        this.rows = []
        this.publish()
        return
      case 'log':
        this.deps.logger[msg.level](msg.data ?? {}, msg.msg)
        return
      case 'stopped':
        return
    }
  }

  private setFault(fault: FaultInfo, attempts: number, retryAt: number | null): void {
    const same = this.fault?.kind === fault.kind
    if (!same) this.deps.logger.warn({ fault }, 'GPU telemetry unavailable')
    this.fault = {
      ...fault,
      since: same && this.fault ? this.fault.since : new Date().toISOString(),
      attempts,
      retryAt: retryAt === null ? null : new Date(retryAt).toISOString(),
    }
  }

  private async resolveApps(at: number, list: ComputeApp[]): Promise<void> {
    if (this.resolving) return
    this.resolving = true
    try {
      const pids = [...new Set(list.map((a) => a.pid))]
      this.owners = await this.deps.resolvePids(pids, this.resolveAbort.signal)
      // Published with the next sample, so memory.used is never older than the per-process numbers.
      this.apps = { at, list }
    } catch (err) {
      this.deps.logger.debug({ err }, 'PID → container mapping failed')
    } finally {
      this.resolving = false
    }
  }

  private build(): GpusSnapshot {
    const gpus = attribute(this.rows, this.apps, this.owners)
    const status = this.fault ? (gpus.length > 0 ? 'degraded' : 'fault') : this.at === null ? 'starting' : 'ok'
    return { status, at: this.at === null ? null : new Date(this.at).toISOString(), intervalMs: this.intervalMs, fault: this.fault, gpus }
  }

  private publish(): void {
    this.current = this.build()
    this.snapshots.publish(this.current)
  }

  /** Stops nvidia-smi (waits for it) and the worker; safe to call twice. */
  dispose(): Promise<void> {
    return (this.disposed ??= (async () => {
      this.unsubscribe.dispose()
      this.resolveAbort.abort()
      const worker = this.worker
      this.worker = undefined
      if (!worker) return
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3000)
        worker.on('message', (m: FromWorker) => {
          if (m.type === 'stopped') {
            clearTimeout(timer)
            resolve()
          }
        })
        worker.postMessage({ type: 'stop' } satisfies ToWorker)
      })
      await worker.terminate()
    })())
  }
}
