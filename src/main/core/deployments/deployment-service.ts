import { randomUUID } from 'node:crypto'
import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import type { Deployment, DeploymentDefinition, DeploymentEvent, DeploymentSpecInput } from '../../../shared/contract/deployments'
import type { Job } from '../../../shared/contract/jobs'
import { withDefaultTag } from '../docker/image-ref'
import type { FlagCatalogService } from '../engine/flags-service'
import { AppError } from '../errors'
import { latestPer, Publisher, type Disposable } from '../events/publisher'
import type { JobService } from '../jobs/job-service'
import type { ModelService } from '../models/model-service'
import type { SettingsService } from '../settings/settings-service'
import type { DeploymentDefinitions } from './definitions'
import {
  registerDeploymentJobs,
  type GatewayFront,
  type LatestImageResolver,
  type StartAdmission,
  type StartOverride,
} from './deployment-jobs'
import type { DeploymentMonitor } from './deployment-monitor'
import type { DeploymentFootprints } from './footprint-learner'
import { checkHostPort, checkNames, checkSpec, specOf } from './spec-check'
import { waitSettle } from './wait-settle'

export type { GatewayFront, LatestImageResolver, StartAdmission, StartOverride } from './deployment-jobs'
export { modelUsers } from './spec-check'

/** The images deployment definitions name (with Docker's default tag), and by which deployment. */
export function imagesInUse(deployments: Deployment[]): { ref: string; by: string }[] {
  return deployments.map((d) => ({ ref: withDefaultTag(d.definition.image), by: d.definition.name }))
}

export interface DeploymentServiceOptions {
  docker: () => Dockerode
  settings: SettingsService
  jobs: JobService
  models: Pick<ModelService, 'list'>
  logger: Logger
  flags: FlagCatalogService
  /** The saved definitions (owned here for writes) and the state machine that follows Docker (built by create-core). */
  definitions: DeploymentDefinitions
  monitor: DeploymentMonitor
  /** Seconds between SIGTERM and SIGKILL on stop (default 30). */
  stopGraceSeconds?: number
  /** The newest vLLM release, for always-latest deployments (resolved at each deploy); absent = deploy as saved. */
  latest?: LatestImageResolver
  /** The gateway in front of the deployments, while it runs (loopback publishing, generated keys). */
  front?: GatewayFront
  /** The footprint learner (issue #16): the footprint in each deployment's view, the retry after a memory failure. */
  footprints?: DeploymentFootprints
  /** The memory planner's admission of manual starts (issue #16); absent = started as configured. */
  admission?: StartAdmission
}

const ACTIVE = new Set(['ready', 'loading', 'starting', 'creating'])

/**
 * vLLM deployments: saved definitions (config as code), deploy/stop/restart/delete as jobs, a live status per
 * deployment from the state machine, and its events.
 *
 * The API the gateway and the memory planner call — keep it this small:
 * - `list()` / `get(id)`: definitions with their live status (state, phase, progress, ETA, endpoint, diagnosis, VRAM);
 * - `start(id)` / `stop(id)` / `restart(id)`: a job each (one job per deployment at a time; CONFLICT otherwise);
 * - `waitReady(id, {signal, timeoutMs})`: resolves when ready, rejects when it fails, stops, times out or aborts;
 * - `waitStopped(id, …)`: resolves when stopped (or failed) and no job acts on it;
 * - `onEvent(fn)`: every status change (`update`), removal and orphan list, in order, at once (no polling);
 * - `create` / `update` / `delete`: definitions, checked against the image's own flags.
 * Logs, test chat and orphans are the DeploymentInspector's; flag catalogs the engine's FlagCatalogService.
 */
export class DeploymentService {
  private readonly o: DeploymentServiceOptions
  private readonly events: Publisher<DeploymentEvent>
  private readonly subs: Disposable[]

  constructor(o: DeploymentServiceOptions) {
    this.o = o
    this.events = new Publisher({ onListenerError: (err) => o.logger.error({ err }, 'deployment listener failed') })
    this.subs = [
      o.monitor.onChange((rt) => this.emitUpdate(rt.id)),
      o.monitor.onOrphans((orphans) => this.events.publish({ type: 'orphans', orphans })),
      ...(o.footprints ? [o.footprints.onChange((id) => this.emitUpdate(id))] : []),
    ]
    registerDeploymentJobs({
      ...o,
      stopGraceSeconds: o.stopGraceSeconds ?? 30,
      moveToImage: (id, image) => this.moveToImage(id, image),
      recordImageDigest: (id, digest) => this.recordImageDigest(id, digest),
      forget: (id) => this.forget(id),
    })
  }

  /** Load definitions, adopt running containers, then follow Docker. */
  async init(): Promise<void> {
    await this.o.definitions.load()
    for (const id of this.o.definitions.ids()) this.o.monitor.runtime(id)
    this.o.monitor.start()
    // Adopt before serving when Docker answers quickly; an unreachable TCP endpoint must not hold up the app.
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.o.monitor.reconcile(), new Promise<void>((r) => (timer = setTimeout(r, 3000)))])
    clearTimeout(timer)
  }

  list(): Deployment[] {
    return this.o.definitions.all().map((d) => this.view(d))
  }

  get(id: string): Deployment {
    return this.view(this.o.definitions.get(id))
  }

  async create(spec: DeploymentSpecInput): Promise<Deployment> {
    const s = await checkSpec(spec, { others: this.o.definitions.all(), flags: this.o.flags, listen: this.listen() })
    checkNames(s, this.o.definitions.all())
    await this.checkPort(s.hostPort, this.o.definitions.all(), false)
    const now = new Date().toISOString()
    const def: DeploymentDefinition = { ...s, id: randomUUID(), createdAt: now, updatedAt: now }
    await this.o.definitions.put(def)
    this.o.monitor.runtime(def.id)
    this.emitUpdate(def.id)
    return this.get(def.id)
  }

  /** Saves a changed definition; a running container keeps its old arguments until restarted. */
  async update(id: string, spec: DeploymentSpecInput): Promise<Deployment> {
    const old = this.o.definitions.get(id)
    const others = this.o.definitions.all().filter((d) => d.id !== id)
    const s = await checkSpec(spec, { others, flags: this.o.flags, listen: this.listen() })
    checkNames(s, others)
    const st = this.o.monitor.runtime(id).status
    await this.checkPort(s.hostPort, others, st.hostPort === s.hostPort && ACTIVE.has(st.state))
    await this.o.definitions.put({ ...s, id, createdAt: old.createdAt, updatedAt: new Date().toISOString() })
    this.emitUpdate(id)
    return this.get(id)
  }

  /** `override`: this start's GPUs and memory arguments (the memory planner's), the definition unchanged. */
  start(id: string, override?: StartOverride): Job {
    const st = this.o.monitor.runtime(id).state
    if (ACTIVE.has(st))
      throw new AppError('CONFLICT', `"${this.o.definitions.get(id).name}" is already ${st}.`, { fix: 'Stop it first, or use restart.' })
    return this.launch('deployment.deploy', id, 'Deploy', override ? { id, override } : { id })
  }

  stop(id: string): Job {
    return this.launch('deployment.stop', id, 'Stop', { id })
  }

  restart(id: string): Job {
    return this.launch('deployment.deploy', id, 'Restart', { id, restart: true })
  }

  delete(id: string): Job {
    return this.launch('deployment.delete', id, 'Delete', { id })
  }

  /**
   * Resolves when the deployment is ready; rejects when it fails or stops first (for the gateway). A failure while its
   * deploy job still runs is not final: the job may retry once after a memory failure (issue #16 point 8).
   */
  waitReady(id: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Deployment> {
    this.o.definitions.get(id)
    return waitSettle<Deployment>({
      ...opts,
      subscribe: (check) => [
        this.o.monitor.onChange((rt) => rt.id === id && check()),
        this.o.jobs.onUpdate((j) => j.target === `deployment:${id}` && check()),
      ],
      settle: () => {
        const st = this.o.monitor.runtime(id).status
        if (st.state === 'ready') return { ok: this.get(id) }
        if (st.state === 'failed' && this.activeJob(id)?.kind === 'deployment.deploy') return undefined
        if (st.state === 'failed')
          return {
            err: new AppError('UNAVAILABLE', st.diagnosis?.reason ?? 'The deployment failed.', {
              fix: st.diagnosis?.hint ?? 'Read its log.',
            }),
          }
        if (st.state === 'stopped' && !this.activeJob(id))
          return { err: new AppError('CONFLICT', 'The deployment is stopped.', { fix: 'Start it first.' }) }
        return undefined
      },
      timeoutError: () => new AppError('UNAVAILABLE', 'The deployment did not become ready in time.', { fix: 'Read its log.' }),
    })
  }

  /** Resolves when the deployment is stopped and no job acts on it (e.g. after stop()). */
  waitStopped(id: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Deployment> {
    this.o.definitions.get(id)
    return waitSettle<Deployment>({
      ...opts,
      subscribe: (check) => [
        this.o.monitor.onChange((rt) => rt.id === id && check()),
        this.o.jobs.onUpdate((j) => j.target === `deployment:${id}` && check()),
      ],
      settle: () => {
        const st = this.o.monitor.runtime(id).status
        return (st.state === 'stopped' || st.state === 'failed') && !this.activeJob(id) ? { ok: this.get(id) } : undefined
      },
      timeoutError: () => new AppError('UNAVAILABLE', 'The deployment did not stop in time.', { fix: 'Read its log.' }),
    })
  }

  onEvent(fn: (e: DeploymentEvent) => void): Disposable {
    return this.events.subscribe(fn)
  }

  /** Snapshot, then each change (coalesced per deployment). */
  watch(signal?: AbortSignal): AsyncGenerator<DeploymentEvent> {
    return this.events.stream(signal, {
      initial: () => [{ type: 'snapshot', deployments: this.list(), orphans: this.o.monitor.orphans }],
      enqueue: latestPer((e) => (e.type === 'update' ? e.deployment.definition.id : undefined)),
    })
  }

  async dispose(): Promise<void> {
    for (const s of this.subs) s.dispose()
    this.o.monitor.dispose()
    this.events.clear()
    await this.o.definitions.flush()
  }

  /** The interface a container started now is published on: loopback behind the gateway (see the deploy job). */
  private listen(): string {
    return this.o.front?.active() ? '127.0.0.1' : this.o.settings.get().listenInterface
  }

  private checkPort(port: number | null | undefined, others: DeploymentDefinition[], heldByItself: boolean): Promise<void> {
    const { webuiPort, listenInterface: iface } = this.o.settings.get()
    return checkHostPort(port, { others, webuiPort, iface, heldByItself })
  }

  private view(d: DeploymentDefinition): Deployment {
    return {
      definition: structuredClone(d),
      status: structuredClone(this.o.monitor.runtime(d.id).status),
      footprint: this.o.footprints?.footprintOf(d.id) ?? null,
    }
  }

  /** Point a deployment at another image (checked like an update; the digest is recorded when it deploys). */
  private async moveToImage(id: string, image: string): Promise<void> {
    await this.update(id, { ...specOf(this.o.definitions.get(id)), image })
  }

  /** Record the registry digest of the image a deployment runs (no argument check: only the digest changes). */
  private async recordImageDigest(id: string, digest: string | null): Promise<void> {
    const d = this.o.definitions.find(id)
    if (!d || !digest || d.imageDigest === digest) return
    await this.o.definitions.put({ ...d, imageDigest: digest, updatedAt: new Date().toISOString() })
    this.emitUpdate(id)
  }

  /** Forget a definition (the delete job removes its container first). */
  private async forget(id: string): Promise<void> {
    this.o.monitor.forget(id)
    await this.o.definitions.remove(id)
    this.events.publish({ type: 'removed', id })
  }

  private emitUpdate(id: string): void {
    const d = this.o.definitions.find(id)
    if (d) this.events.publish({ type: 'update', deployment: this.view(d) })
  }

  private activeJob(id: string): Job | undefined {
    return this.o.jobs.active(`deployment:${id}`)[0]
  }

  private launch(kind: 'deployment.deploy' | 'deployment.stop' | 'deployment.delete', id: string, verb: string, params: object): Job {
    const def = this.o.definitions.get(id)
    const busy = this.activeJob(id)
    if (busy)
      throw new AppError('CONFLICT', `"${def.name}" has a ${busy.kind} job that is ${busy.state}.`, {
        fix: 'Wait for it to finish or cancel it.',
      })
    return this.o.jobs.start(kind, { title: `${verb} ${def.name}`, target: `deployment:${id}`, params })
  }
}
