import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import type { DeploymentDefinition, DeploymentFootprint, DeploymentState } from '../../../shared/contract/deployments'
import { splitWords } from '../engine/flags-service'
import { Publisher, type Disposable } from '../events/publisher'
import type { GpuService } from '../gpu/gpu-service'
import { memoryFailure } from '../planner/failure'
import { fixedNeedBytes, parseFootprint } from '../planner/footprint-lines'
import type { FootprintStore } from '../planner/footprint-store'
import {
  footprintView,
  measuredBytesPerGpu,
  requestedBytesOf,
  retryAfterFailure,
  startKey,
  utilizationOf,
  type StartDefinition,
} from '../planner/learning'
import type { DeploymentDefinitions } from './definitions'
import type { DeploymentMonitor } from './deployment-monitor'
import { parseLogBuffer } from './log-follower'
import type { Runtime } from './runtime'

export interface FootprintLearnerDeps {
  store: Pick<FootprintStore, 'get' | 'recordLoad' | 'recordMeasured' | 'recordSleep' | 'raiseAfterFailure'>
  monitor: Pick<DeploymentMonitor, 'onChange' | 'runtime'>
  definitions: Pick<DeploymentDefinitions, 'find'>
  docker: () => Dockerode
  gpu: Pick<GpuService, 'snapshot' | 'onSnapshot'>
  logger: Logger
}

/** What the deployments need of the learner (the service shows it, the deploy job asks it after a failed start). */
export interface DeploymentFootprints {
  footprintOf(id: string): DeploymentFootprint | null
  /** A start failed: raise the footprint when vLLM ran out of memory, and say whether to retry (attempt 0 = first). */
  afterFailedStart(id: string, attempt: number): Promise<{ retry: boolean; note: string | null }>
  /** A deployment's footprint changed. */
  onChange(fn: (id: string) => void): Disposable
}

const LOADING = new Set<DeploymentState>(['creating', 'starting', 'loading'])
const MEMORY_KINDS = new Set<string>(['gpu-memory-utilization', 'kv-cache-too-small', 'no-kv-cache-memory', 'cuda-oom'])

const startOf = (def: DeploymentDefinition): StartDefinition => {
  let argv: string[] = []
  try {
    argv = splitWords(def.extraArgs)
  } catch {
    /* unbalanced quotes: the deploy refuses it anyway */
  }
  return {
    image: def.image,
    imageDigest: def.imageDigest,
    gpus: def.gpus,
    tensorParallelSize: def.tensorParallelSize,
    args: def.args,
    argv,
  }
}

/**
 * Learns footprints (issue #16 points 1 and 8): when a load becomes ready, vLLM's startup lines of the container
 * (read back from Docker) are recorded under the start's fingerprint; after ready, the container's memory per GPU from
 * the telemetry attribution; when a start fails for memory, the footprint is raised and the deploy job told to retry.
 */
export class FootprintLearner implements DeploymentFootprints {
  private readonly last = new Map<string, DeploymentState>()
  /** The fingerprint each deployment last ran under. */
  private readonly keys = new Map<string, string>()
  private readonly changes: Publisher<string>
  private readonly subs: Disposable[]
  private readonly pending = new Set<Promise<void>>()

  constructor(private readonly d: FootprintLearnerDeps) {
    this.changes = new Publisher({ onListenerError: (err) => d.logger.error({ err }, 'footprint listener failed') })
    this.subs = [d.monitor.onChange((rt) => this.onStatus(rt)), d.gpu.onSnapshot(() => this.measure())]
  }

  footprintOf(id: string): DeploymentFootprint | null {
    const key = this.keyOf(id)
    return key ? footprintView(this.d.store.get(key)) : null
  }

  onChange(fn: (id: string) => void): Disposable {
    return this.changes.subscribe(fn)
  }

  async afterFailedStart(id: string, attempt: number): Promise<{ retry: boolean; note: string | null }> {
    const rt = this.d.monitor.runtime(id)
    const def = this.d.definitions.find(id)
    // Only a failure diagnosed from this start's own lines (a refusal before the start keeps the previous run's log).
    if (rt.state !== 'failed' || !def || !MEMORY_KINDS.has(rt.status.diagnosis?.kind ?? '')) return { retry: false, note: null }
    const lines = rt.lines.map((l) => l.text)
    const key = this.keyOf(id)
    const planned = key ? this.d.store.get(key)?.kvCacheBytes : undefined
    const failure = memoryFailure(lines.join('\n'), { plannedKvBytes: planned ?? undefined })
    const decision = retryAfterFailure(failure, attempt)
    if (!failure) return decision
    if (key) {
      // A key seen for the first time: raise from what the failed start's own lines tell of its fixed need.
      const fp = parseFootprint(lines)
      const start = startOf(def)
      const requested = requestedBytesOf(def.gpus, this.d.gpu.snapshot(), utilizationOf(start.args, start.argv, fp.graphsInBudget))
      const fixed = fixedNeedBytes(fp, { requestedBytes: requested ?? undefined }) ?? fp.weightsBytes ?? undefined
      const raised = this.d.store.raiseAfterFailure(key, failure, { fixedBytes: fixed })
      this.d.logger.info(
        { deployment: def.name, key, failure, fixedBytesPerGpu: raised?.fixedBytesPerGpu },
        'footprint raised after a memory failure',
      )
      this.changes.publish(id)
    }
    const diag = rt.status.diagnosis
    if (diag && decision.note) rt.patch({ diagnosis: { ...diag, hint: `${diag.hint} ${decision.note}` } })
    return decision
  }

  /** Resolves when the learning started so far is done (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending])
  }

  async dispose(): Promise<void> {
    for (const s of this.subs) s.dispose()
    await this.settled()
    this.changes.clear()
  }

  /**
   * A sleep or wake (vLLM sleep mode, reported by the gateway): the wake seconds, and what stays on each GPU while
   * asleep = what it held awake − what the sleep freed (vLLM's "Sleep mode freed" line is per rank).
   */
  recordSleep(
    id: string,
    f: { event: 'asleep' | 'awake'; freedBytes: number | null; wakeSeconds: number | null; wallSeconds: number },
  ): void {
    const key = this.keyOf(id)
    const prev = key ? this.d.store.get(key) : undefined
    if (!key || !prev) return
    if (f.event === 'awake') this.d.store.recordSleep(key, { wakeSeconds: f.wakeSeconds ?? f.wallSeconds })
    else if (f.freedBytes !== null) {
      const awake = prev.measuredBytesPerGpu ?? prev.fixedBytesPerGpu + (prev.kvCacheBytes ?? 0)
      this.d.store.recordSleep(key, { keptBytesPerGpu: Math.max(0, awake - f.freedBytes) })
    } else return
    this.changes.publish(id)
  }

  private keyOf(id: string): string | null {
    const def = this.d.definitions.find(id)
    if (!def) return null
    const commit = this.d.monitor.runtime(id).status.commit
    const key = startKey(startOf(def), commit, this.d.gpu.snapshot())
    if (key) this.keys.set(id, key)
    return key ?? this.keys.get(id) ?? null
  }

  private onStatus(rt: Runtime): void {
    const prev = this.last.get(rt.id)
    const state = rt.state
    this.last.set(rt.id, state)
    if (state === 'ready' && prev !== undefined && LOADING.has(prev)) this.track(this.learnLoad(rt))
  }

  private track(p: Promise<void>): void {
    const q = p.catch((err: unknown) => this.d.logger.warn({ err }, 'learning a footprint failed')).finally(() => this.pending.delete(q))
    this.pending.add(q)
  }

  /** The container's own command line and GPUs (null when Docker cannot tell). */
  private async containerStart(containerId: string): Promise<{ argv: string[]; gpus: string[] } | null> {
    try {
      const info = await this.d.docker().getContainer(containerId).inspect()
      const argv = [...(info.Config?.Entrypoint ?? []), ...(info.Config?.Cmd ?? [])].map(String)
      const gpus = (info.HostConfig?.DeviceRequests ?? []).flatMap((r) => r.DeviceIDs ?? [])
      return { argv, gpus }
    } catch {
      return null
    }
  }

  /** A load finished: its log since the container started, under the start's fingerprint. */
  private async learnLoad(rt: Runtime): Promise<void> {
    const def = this.d.definitions.find(rt.id)
    const { containerId, startedAt, readyAt } = rt.status
    const key = this.keyOf(rt.id)
    if (!def || !containerId || !key) return
    let lines = rt.lines.map((l) => l.text)
    try {
      const raw = (await this.d
        .docker()
        .getContainer(containerId)
        // This run's lines only (a container restarted in place keeps the previous runs' log).
        .logs({
          stdout: true,
          stderr: true,
          follow: false,
          timestamps: true,
          since: startedAt ? Math.floor(Date.parse(startedAt) / 1000) - 1 : 0,
        })) as unknown as Buffer
      const fromDocker = parseLogBuffer(raw).map((l) => l.text)
      if (fromDocker.length >= lines.length) lines = fromDocker
    } catch {
      /* gone already: the lines the follower kept */
    }
    const fp = parseFootprint(lines)
    const start = startOf(def)
    // What this container really ran with: the planner passes a per-start utilization and GPUs the definition lacks.
    const ran = await this.containerStart(containerId)
    const gpus = ran?.gpus.length ? ran.gpus : def.gpus
    const argv = ran ? [...start.argv, ...ran.argv] : start.argv
    const requested = requestedBytesOf(gpus, this.d.gpu.snapshot(), utilizationOf(start.args, argv, fp.graphsInBudget))
    const seconds = startedAt && readyAt ? (Date.parse(readyAt) - Date.parse(startedAt)) / 1000 : null
    const f = this.d.store.recordLoad(key, fp, { loadSeconds: seconds, requestedBytes: requested ?? undefined })
    if (!f) {
      this.d.logger.info({ deployment: def.name, key }, 'the log did not tell the footprint; nothing learned from this load')
      return
    }
    this.d.logger.info({ deployment: def.name, key, fixedBytesPerGpu: f.fixedBytesPerGpu, loads: f.loads }, 'footprint learned')
    this.changes.publish(rt.id)
    this.measure()
  }

  /** Ready deployments: the container's memory per GPU from the attribution sampled after it became ready. */
  private measure(): void {
    const snapshot = this.d.gpu.snapshot()
    for (const [id, state] of this.last) {
      if (!this.d.definitions.find(id)) {
        this.last.delete(id)
        this.keys.delete(id)
        continue
      }
      if (state !== 'ready') continue
      const rt = this.d.monitor.runtime(id)
      const key = this.keyOf(id)
      const cid = rt.status.containerId
      const prev = key ? this.d.store.get(key) : undefined
      if (!key || !prev || !cid) continue
      const bytes = measuredBytesPerGpu(snapshot, cid, rt.status.readyAt)
      if (bytes !== null && bytes > (prev.measuredBytesPerGpu ?? 0)) {
        this.d.store.recordMeasured(key, bytes)
        this.changes.publish(id)
      }
    }
  }
}
