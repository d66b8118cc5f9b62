import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Deployment, DeploymentEvent } from '../../../shared/contract/deployments'
import type { NewRelease } from '../../../shared/contract/engine'
import type { Job } from '../../../shared/contract/jobs'
import type { AppNotification } from '../../../shared/contract/notifications'
import type { WebuiStatus } from '../../../shared/contract/webui'
import type { Settings } from '../../../shared/settings'
import { Publisher, type Disposable } from '../events/publisher'
import { deploymentEvents, jobEvents, webuiEvents } from './notify-events'
import { NotifyRules, type NotifyEvent, type NotifyToggles } from './notify-rules'

/** What the service listens to: the shapes of JobService, DeploymentService, WebuiService and EngineVersionsService. */
export interface NotifySources {
  jobs: { list(): Job[]; onUpdate(listener: (job: Job) => void): Disposable }
  deployments: { list(): Deployment[]; onEvent(listener: (e: DeploymentEvent) => void): Disposable }
  /** The status now, then each change, until `signal` aborts. */
  webui: { watch(signal: AbortSignal): AsyncIterable<WebuiStatus> }
  engine: { onNewRelease(listener: (release: NewRelease) => void): Disposable }
}

export interface NotifyClock {
  now(): number
  /** Runs `fn` once after `ms`; `cancel` stops it. */
  setTimer(fn: () => void, ms: number): { cancel(): void }
}

export const realClock: NotifyClock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref()
    return { cancel: () => clearTimeout(t) }
  },
}

export interface NotifyServiceOptions {
  sources: NotifySources
  settings: { get(): Settings }
  logger: Logger
  clock?: NotifyClock
  /** How long the first event of a kind waits for others to join it (ms; default 3000). */
  coalesceMs?: number
  /** At most this many notifications a minute (default 4). */
  maxPerMinute?: number
}

/** Settings → Notifications as the rules' toggles. */
export function togglesOf(s: Settings): NotifyToggles {
  return {
    downloads: s.notifyDownloads,
    modelStart: s.notifyModelStart,
    modelCrash: s.notifyModelCrash,
    modelUnload: s.notifyModelUnload,
    vllmRelease: s.notifyVllmRelease,
    webuiReady: s.notifyWebuiReady,
  }
}

/**
 * Notifications (issue #17 points 3 and 4): watches jobs, deployments, Open WebUI and the vLLM release check, turns
 * their transitions into events (notify-events), lets the rules filter, coalesce and rate-limit them (notify-rules),
 * and publishes the result: the desktop shell subscribes (`onNotification`) and shows them natively; the web UI gets
 * them over `notifications.watch` and shows toasts. What was true when it started is never announced: only changes.
 */
export class NotifyService {
  private readonly rules: NotifyRules
  private readonly clock: NotifyClock
  private readonly out: Publisher<AppNotification>
  private readonly subs: Disposable[] = []
  private readonly jobs = new Map<string, Job>()
  private readonly deployments = new Map<string, Deployment>()
  private readonly webuiWatch = new AbortController()
  private timer: { at: number; cancel(): void } | undefined
  private disposed = false

  constructor(private readonly o: NotifyServiceOptions) {
    this.clock = o.clock ?? realClock
    this.out = new Publisher({ onListenerError: (err) => o.logger.warn({ err }, 'notification listener failed') })
    this.rules = new NotifyRules({
      now: () => this.clock.now(),
      toggles: () => togglesOf(o.settings.get()),
      coalesceMs: o.coalesceMs,
      maxPerMinute: o.maxPerMinute,
    })
    const { jobs, deployments, engine } = o.sources
    for (const j of jobs.list()) this.jobs.set(j.id, j)
    for (const d of deployments.list()) this.deployments.set(d.definition.id, d)
    this.subs.push(
      jobs.onUpdate((job) => this.onJob(job)),
      deployments.onEvent((e) => this.onDeployment(e)),
      engine.onNewRelease((r) => this.push([{ kind: 'vllm-release', version: r.tag }])),
    )
    void this.watchWebui()
  }

  /** Each notification as it is sent (the desktop shell shows it). */
  onNotification(listener: (n: AppNotification) => void): Disposable {
    return this.out.subscribe(listener)
  }

  /** Each notification from now on, until `signal` aborts (notifications.watch). */
  watch(signal?: AbortSignal): AsyncGenerator<AppNotification> {
    return this.out.stream(signal)
  }

  dispose(): void {
    this.disposed = true
    for (const s of this.subs.splice(0)) s.dispose()
    this.webuiWatch.abort()
    this.timer?.cancel()
    this.timer = undefined
    this.out.clear()
  }

  private onJob(job: Job): void {
    // A job this service has not seen began after it started: it counts as new (queued) rather than old news.
    const prev = this.jobs.get(job.id) ?? { ...job, state: 'queued' as const }
    this.jobs.set(job.id, job)
    // Finished jobs are forgotten by JobService after a while; forget them here too (keep what it still lists).
    if (this.jobs.size > 1000)
      for (const id of this.jobs.keys()) if (!this.o.sources.jobs.list().some((j) => j.id === id)) this.jobs.delete(id)
    this.push(jobEvents(prev, job))
  }

  private onDeployment(e: DeploymentEvent): void {
    if (e.type === 'removed') this.deployments.delete(e.id)
    if (e.type !== 'update') return
    const id = e.deployment.definition.id
    const prev = this.deployments.get(id)
    this.deployments.set(id, e.deployment)
    this.push(deploymentEvents(prev, e.deployment))
  }

  private async watchWebui(): Promise<void> {
    let prev: WebuiStatus | undefined
    try {
      for await (const status of this.o.sources.webui.watch(this.webuiWatch.signal)) {
        this.push(webuiEvents(prev, status))
        prev = status
      }
    } catch (err) {
      if (!this.disposed) this.o.logger.warn({ err }, 'notifications: the Open WebUI status stream failed; no Open WebUI notifications')
    }
  }

  private push(events: NotifyEvent[]): void {
    if (this.disposed || events.length === 0) return
    for (const e of events) this.rules.push(e)
    this.schedule()
  }

  /** One timer, for the rules' next due time. */
  private schedule(): void {
    const at = this.rules.nextAt()
    if (this.timer && this.timer.at === at) return
    this.timer?.cancel()
    this.timer = undefined
    if (at === null || this.disposed) return
    const timer = this.clock.setTimer(() => this.flush(), Math.max(0, at - this.clock.now()))
    this.timer = { at, cancel: () => timer.cancel() }
  }

  private flush(): void {
    this.timer = undefined
    if (this.disposed) return
    const at = new Date(this.clock.now()).toISOString()
    for (const n of this.rules.take()) {
      const notification: AppNotification = { id: randomUUID(), at, ...n }
      this.o.logger.info({ kind: n.kind, count: n.count, title: n.title }, 'notification')
      this.out.publish(notification)
    }
    this.schedule()
  }
}
