import type { Deployment, DeploymentEvent } from '../../shared/contract/deployments'
import type { GatewayStatus } from '../../shared/contract/gateway'
import type { GpusSnapshot } from '../../shared/contract/gpu'
import type { Job, JobEvent } from '../../shared/contract/jobs'
import type { WebuiStatus } from '../../shared/contract/webui'
import type { ShellLogger } from './logger'
import type { TrayInput } from './tray-menu'

/**
 * The tray's view of the core (issue #17 point 1): follows the core's watch streams (through its own router, so the
 * shell depends only on the shared contract) and folds them into a `TrayInput`. Plain Node, no Electron.
 */

type Stream<T> = (signal: AbortSignal) => Promise<AsyncIterable<T>>

export interface TraySources {
  gpu: Stream<GpusSnapshot>
  deployments: Stream<DeploymentEvent>
  gateway: Stream<GatewayStatus>
  webui: Stream<WebuiStatus>
  jobs: Stream<JobEvent>
}

const FINISHED: ReadonlySet<Job['state']> = new Set(['done', 'failed', 'cancelled'])

/** Deployments after one event of `deployments.watch` (null until the first snapshot). */
export function applyDeploymentEvent(list: Deployment[] | null, event: DeploymentEvent): Deployment[] | null {
  switch (event.type) {
    case 'snapshot':
      return event.deployments
    case 'update': {
      const id = event.deployment.definition.id
      const rest = (list ?? []).filter((d) => d.definition.id !== id)
      const at = (list ?? []).findIndex((d) => d.definition.id === id)
      if (at < 0) return [...rest, event.deployment]
      rest.splice(at, 0, event.deployment)
      return rest
    }
    case 'removed':
      return (list ?? []).filter((d) => d.definition.id !== event.id)
    case 'orphans':
      return list
  }
}

/** Jobs that still matter to the tray (queued, running, paused) after one event of `jobs.watch`. */
export function applyJobEvent(jobs: Job[], event: JobEvent): Job[] {
  if (event.type === 'snapshot') return event.jobs.filter((j) => !FINISHED.has(j.state))
  const rest = jobs.filter((j) => j.id !== event.job.id)
  return FINISHED.has(event.job.state) ? rest : [...rest, event.job]
}

/** Docker's reachability as the core reports it (Open WebUI's status says when Docker did not answer). */
export function dockerErrorOf(webui: WebuiStatus | null): string | null {
  if (webui?.state !== 'docker-unreachable') return null
  return webui.error?.message ?? 'Docker did not answer'
}

export interface TrayStateOptions {
  sources: TraySources
  /** Called after every change (the caller throttles). */
  onChange: () => void
  logger: ShellLogger
  /** Wait before following a stream again after it ended or failed (default 5 s). */
  retryMs?: number
}

export class TrayState {
  private gpus: GpusSnapshot | null = null
  private deployments: Deployment[] | null = null
  private gateway: GatewayStatus | null = null
  private webui: WebuiStatus | null = null
  private jobs: Job[] = []
  private readonly abort = new AbortController()

  constructor(private readonly o: TrayStateOptions) {}

  get input(): TrayInput {
    return {
      gpus: this.gpus,
      deployments: this.deployments,
      gateway: this.gateway,
      webui: this.webui,
      jobs: this.jobs,
      dockerError: dockerErrorOf(this.webui),
    }
  }

  /** Starts following every stream; resolves when all have stopped (after dispose). */
  start(): Promise<void> {
    const { sources } = this.o
    return Promise.all([
      this.follow('gpu', sources.gpu, (s) => (this.gpus = s)),
      this.follow('deployments', sources.deployments, (e) => (this.deployments = applyDeploymentEvent(this.deployments, e))),
      this.follow('gateway', sources.gateway, (s) => (this.gateway = s)),
      this.follow('webui', sources.webui, (s) => (this.webui = s)),
      this.follow('jobs', sources.jobs, (e) => (this.jobs = applyJobEvent(this.jobs, e))),
    ]).then(() => undefined)
  }

  dispose(): void {
    this.abort.abort()
  }

  private async follow<T>(name: string, open: Stream<T>, apply: (item: T) => void): Promise<void> {
    const signal = this.abort.signal
    while (!signal.aborted) {
      try {
        for await (const item of await open(signal)) {
          if (signal.aborted) return
          apply(item)
          this.o.onChange()
        }
      } catch (err) {
        if (signal.aborted) return
        this.o.logger.warn({ stream: name, err: err instanceof Error ? err.message : String(err) }, 'tray: a core stream failed')
      }
      await wait(this.o.retryMs ?? 5000, signal)
    }
  }
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}
