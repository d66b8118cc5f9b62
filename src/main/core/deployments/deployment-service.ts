import { randomUUID } from 'node:crypto'
import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import { type z } from 'zod'
import type {
  Deployment,
  DeploymentDefinition,
  DeploymentEvent,
  DeploymentSpecInput,
  LogLine,
  OrphanContainer,
} from '../../../shared/contract/deployments'
import { DeploymentSpec } from '../../../shared/contract/deployments'
import type { Job } from '../../../shared/contract/jobs'
import { AppError } from '../errors'
import { FlagCatalogService } from '../engine/flags-catalog'
import type { GpuService } from '../gpu/gpu-service'
import type { JobService } from '../jobs/job-service'
import type { ModelService } from '../models/model-service'
import type { SettingsService } from '../settings/settings-service'
import { LABEL } from './container-spec'
import { registerDeploymentJobs } from './deployment-jobs'
import { chatStream } from './chat'
import { DeploymentMonitor } from './deployment-monitor'
import type { LatestReleaseSource } from './latest-release'
import { parseLogBuffer } from './log-follower'
import type { Runtime } from './runtime'
import { DeploymentStore, type PhaseTimings } from './store'
import { listenIterator } from '../events/listen-iterator'
import { waitSettle } from './wait-settle'
import { fromYaml, toYaml } from './yaml'

export interface DeploymentServiceOptions {
  docker: () => Dockerode
  settings: SettingsService
  gpu: GpuService
  jobs: JobService
  models: ModelService
  logger: Logger
  dataDir: string
  /** Seconds between SIGTERM and SIGKILL on stop (default 30). */
  stopGraceSeconds?: number
  /** The newest vLLM release, for always-latest deployments (resolved at each deploy); absent = deploy as saved. */
  releases?: LatestReleaseSource
}

/**
 * vLLM deployments: saved definitions (config as code), deploy/stop/restart/delete as jobs, a live status
 * per deployment, logs, adoption of our containers after a restart. Callable from other services (the
 * gateway starts/stops on demand and waits for readiness through this API).
 */
export class DeploymentService {
  readonly flags: FlagCatalogService
  readonly monitor: DeploymentMonitor
  private readonly defs = new Map<string, DeploymentDefinition>()
  private timings: Record<string, PhaseTimings> = {}
  private readonly store: DeploymentStore
  private readonly listeners = new Set<(e: DeploymentEvent) => void>()

  constructor(readonly o: DeploymentServiceOptions) {
    this.store = new DeploymentStore(o.dataDir, o.logger)
    this.flags = new FlagCatalogService({ docker: o.docker, dataDir: o.dataDir, logger: o.logger })
    this.monitor = new DeploymentMonitor({
      docker: o.docker,
      gpu: o.gpu,
      settings: o.settings,
      logger: o.logger,
      definition: (id) => this.defs.get(id),
      definitionIds: () => [...this.defs.keys()],
      timings: (id) => this.timings[id],
      saveTimings: (id, t) => {
        this.timings[id] = t
        void this.store.saveTimings(this.timings)
      },
      changed: (rt) => this.changed(rt),
      orphansChanged: (orphans) => this.emit({ type: 'orphans', orphans }),
    })
    registerDeploymentJobs(this)
    o.models.setInUseCheck((repo, commit) => this.isInUse(repo, commit))
  }

  /** Load definitions, adopt running containers, then follow Docker. */
  async init(): Promise<void> {
    for (const d of await this.store.loadDefinitions()) this.defs.set(d.id, d)
    this.timings = await this.store.loadTimings()
    for (const id of this.defs.keys()) this.monitor.runtime(id)
    this.monitor.start()
    // Adopt before serving when Docker answers quickly; an unreachable TCP endpoint must not hold up the app.
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.monitor.reconcile(), new Promise<void>((r) => (timer = setTimeout(r, 3000)))])
    clearTimeout(timer)
  }

  // ── definitions ────────────────────────────────────────────────────────────

  list(): Deployment[] {
    return [...this.defs.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((d) => this.view(d))
  }

  get(id: string): Deployment {
    return this.view(this.definition(id))
  }

  definition(id: string): DeploymentDefinition {
    const d = this.defs.get(id)
    if (!d) throw new AppError('NOT_FOUND', `No deployment with id ${id}.`, { fix: 'List deployments with GET /api/v1/deployments.' })
    return d
  }

  private view(d: DeploymentDefinition): Deployment {
    return { definition: structuredClone(d), status: structuredClone(this.monitor.runtime(d.id).status) }
  }

  orphans(): OrphanContainer[] {
    return this.monitor.orphans
  }

  /** Checks a spec: unique name, arguments against the image's flags. Throws BAD_REQUEST naming each problem. */
  async check(spec: DeploymentSpecInput, exceptId?: string): Promise<z.infer<typeof DeploymentSpec>> {
    const parsed = DeploymentSpec.safeParse(spec)
    if (!parsed.success) {
      const fields = Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), i.message]))
      throw new AppError(
        'BAD_REQUEST',
        `Invalid deployment: ${Object.entries(fields)
          .map(([k, v]) => `${k} ${v}`)
          .join('; ')}.`,
        { fix: 'Correct the named fields.', fields },
      )
    }
    const s = parsed.data
    const clash = [...this.defs.values()].find((d) => d.name.toLowerCase() === s.name.toLowerCase() && d.id !== exceptId)
    if (clash)
      throw new AppError('CONFLICT', `A deployment named "${s.name}" exists.`, {
        fix: 'Choose another name.',
        fields: { name: 'already used' },
      })
    if (s.tensorParallelSize && s.gpus.length && s.tensorParallelSize > s.gpus.length)
      throw new AppError(
        'BAD_REQUEST',
        `Tensor-parallel size ${s.tensorParallelSize} needs at least ${s.tensorParallelSize} GPUs; ${s.gpus.length} chosen.`,
        { fix: 'Choose more GPUs or lower the tensor-parallel size.', fields: { tensorParallelSize: 'more than the GPUs chosen' } },
      )
    const { problems, catalog } = await this.flags.validate(s.image, s.args, s.extraArgs)
    if (problems.length) {
      const fields = Object.fromEntries(problems.map((p) => [p.flag in s.args ? `args.${p.flag}` : 'extraArgs', p.message]))
      const where = catalog.source === 'image' ? s.image : `the bundled flag list (${catalog.note ?? ''})`
      throw new AppError('BAD_REQUEST', `Arguments rejected by ${where}: ${problems.map((p) => p.message).join(' ')}`, {
        fix: problems.some((p) => p.successor) ? `Use the successor flag named above.` : 'Remove or correct the named flags.',
        fields,
      })
    }
    return s
  }

  async create(spec: DeploymentSpecInput): Promise<Deployment> {
    const s = await this.check(spec)
    const now = new Date().toISOString()
    const def: DeploymentDefinition = { ...s, id: randomUUID(), createdAt: now, updatedAt: now }
    this.defs.set(def.id, def)
    await this.store.saveDefinitions([...this.defs.values()])
    this.monitor.runtime(def.id)
    this.emitUpdate(def.id)
    return this.get(def.id)
  }

  /** Saves a changed definition; a running container keeps its old arguments until restarted. */
  async update(id: string, spec: DeploymentSpecInput): Promise<Deployment> {
    const old = this.definition(id)
    const s = await this.check(spec, id)
    const def: DeploymentDefinition = { ...s, id, createdAt: old.createdAt, updatedAt: new Date().toISOString() }
    this.defs.set(id, def)
    await this.store.saveDefinitions([...this.defs.values()])
    this.emitUpdate(id)
    return this.get(id)
  }

  /** Point a deployment at another image (checked like an update; the digest is recorded when it deploys). */
  async moveToImage(id: string, image: string): Promise<Deployment> {
    const { id: _id, createdAt: _c, updatedAt: _u, ...spec } = this.definition(id)
    return this.update(id, { ...spec, image })
  }

  /** Record the registry digest of the image a deployment runs (no argument check: only the digest changes). */
  async recordImageDigest(id: string, digest: string | null): Promise<void> {
    const d = this.defs.get(id)
    if (!d || !digest || d.imageDigest === digest) return
    this.defs.set(id, { ...d, imageDigest: digest, updatedAt: new Date().toISOString() })
    await this.store.saveDefinitions([...this.defs.values()])
    this.emitUpdate(id)
  }

  /** Forget a definition (the delete job removes its container first). */
  async forget(id: string): Promise<void> {
    this.defs.delete(id)
    delete this.timings[id]
    this.monitor.runtimes.get(id)?.stopFollowing()
    this.monitor.runtimes.delete(id)
    await this.store.saveDefinitions([...this.defs.values()])
    await this.store.saveTimings(this.timings)
    this.emit({ type: 'removed', id })
  }

  exportYaml(id: string): { yaml: string; fileName: string } {
    const d = this.definition(id)
    return { yaml: toYaml(d), fileName: `${d.name.replace(/[^A-Za-z0-9._-]+/g, '-')}.deployment.yaml` }
  }

  async importYaml(text: string): Promise<Deployment> {
    return this.create(fromYaml(text))
  }

  /** Apply the one-click fix of the current diagnosis; optionally start again. */
  async applyFix(id: string, start: boolean): Promise<Deployment> {
    const def = this.definition(id)
    const fix = this.monitor.runtime(id).status.diagnosis?.fix
    if (!fix) throw new AppError('CONFLICT', 'This deployment has no fix to apply.', { fix: 'Change the definition by hand.' })
    const args = { ...def.args }
    for (const [k, v] of Object.entries(fix.setArgs)) {
      if (v === null) delete args[k]
      else args[k] = v
    }
    let extra = def.extraArgs
    for (const w of fix.removeExtra) extra = extra.replace(new RegExp(`(^|\\s)${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=\\s|$)`), '$1')
    const { id: _id, createdAt: _c, updatedAt: _u, ...spec } = def
    await this.update(id, { ...spec, args, extraArgs: extra.replace(/\s+/g, ' ').trim() })
    if (start) this.start(id)
    return this.get(id)
  }

  /** Names of deployments whose container serves (repo, commit): the model store refuses to delete those. */
  isInUse(repo: string, commit: string): string[] {
    const out: string[] = []
    for (const d of this.defs.values()) {
      if (d.model.repo !== repo) continue
      const st = this.monitor.runtime(d.id).status
      if (st.state === 'stopped' || st.state === 'failed') continue
      if (st.commit === commit || d.model.revision === commit) out.push(d.name)
    }
    return out
  }

  // ── lifecycle (jobs) ───────────────────────────────────────────────────────

  private activeJob(id: string): Job | undefined {
    return this.o.jobs.active(`deployment:${id}`)[0]
  }

  private launch(
    kind: 'deployment.deploy' | 'deployment.stop' | 'deployment.delete',
    id: string,
    verb: string,
    params: { id: string; restart?: boolean },
  ): Job {
    const def = this.definition(id)
    const busy = this.activeJob(id)
    if (busy)
      throw new AppError('CONFLICT', `"${def.name}" has a ${busy.kind} job that is ${busy.state}.`, {
        fix: 'Wait for it to finish or cancel it.',
      })
    return this.o.jobs.start(kind, { title: `${verb} ${def.name}`, target: `deployment:${id}`, params })
  }

  start(id: string): Job {
    const st = this.monitor.runtime(id).state
    if (st === 'ready' || st === 'loading' || st === 'starting' || st === 'creating')
      throw new AppError('CONFLICT', `"${this.definition(id).name}" is already ${st}.`, { fix: 'Stop it first, or use restart.' })
    return this.launch('deployment.deploy', id, 'Deploy', { id })
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

  /** Resolves when the deployment is ready; rejects when it fails or stops first (for the gateway). */
  waitReady(id: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Deployment> {
    this.definition(id)
    return waitSettle<Deployment>({
      ...opts,
      subscribe: (check) => [this.onEvent((e) => e.type === 'update' && e.deployment.definition.id === id && check())],
      settle: () => {
        const st = this.monitor.runtime(id).status
        if (st.state === 'ready') return { ok: this.get(id) }
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
    this.definition(id)
    return waitSettle<Deployment>({
      ...opts,
      subscribe: (check) => [
        this.onEvent((e) => e.type === 'update' && e.deployment.definition.id === id && check()),
        this.o.jobs.onUpdate((j) => j.target === `deployment:${id}` && check()),
      ],
      settle: () => {
        const st = this.monitor.runtime(id).status
        return (st.state === 'stopped' || st.state === 'failed') && !this.activeJob(id) ? { ok: this.get(id) } : undefined
      },
      timeoutError: () => new AppError('UNAVAILABLE', 'The deployment did not stop in time.', { fix: 'Read its log.' }),
    })
  }

  async removeOrphan(containerId: string): Promise<{ removed: boolean }> {
    await this.monitor.reconcile()
    if (!this.monitor.isOrphan(containerId))
      throw new AppError('NOT_FOUND', 'No orphaned deployment container with that id.', {
        fix: 'Refresh the list; only containers whose definition was deleted can be removed here.',
      })
    await this.o.docker().getContainer(containerId).remove({ force: true })
    await this.monitor.reconcile()
    return { removed: true }
  }

  /** Our containers of a deployment, oldest first. */
  async containersOf(id: string): Promise<Dockerode.ContainerInfo[]> {
    const list = await this.o
      .docker()
      .listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL.deployment}=${id}`, `${LABEL.kind}=vllm`] }) })
    return list.sort((a, b) => a.Created - b.Created)
  }

  /** A streamed chat completion from the deployment's endpoint (served name and API key from its args). */
  async *chat(
    id: string,
    messages: { role: string; content: string }[],
    maxTokens: number,
    signal?: AbortSignal,
  ): AsyncGenerator<{ delta: string }> {
    const def = this.definition(id)
    const st = this.monitor.runtime(id).status
    if (st.state !== 'ready' || !st.endpoint)
      throw new AppError('CONFLICT', `"${def.name}" is ${st.state}, not ready.`, { fix: 'Start it and wait until it is ready.' })
    const first = (v: unknown): string | undefined =>
      Array.isArray(v) ? (v[0] as string | undefined) : typeof v === 'string' ? v.split(/\s+/)[0] : undefined
    const model = first(def.args['--served-model-name']) ?? def.model.repo
    const key = first(def.args['--api-key']) ?? def.env.VLLM_API_KEY
    yield* chatStream({ endpoint: st.endpoint, model, apiKey: key, messages, maxTokens, signal })
  }

  // ── logs and events ────────────────────────────────────────────────────────

  async logs(id: string, tail: number, search?: string): Promise<{ lines: LogLine[]; containerId: string | null }> {
    const rt = this.monitor.runtime(this.definition(id).id)
    let lines = rt.lines
    const cid = rt.status.containerId
    if (cid) {
      try {
        const raw = (await this.o
          .docker()
          .getContainer(cid)
          .logs({ stdout: true, stderr: true, timestamps: true, tail, follow: false })) as unknown as Buffer
        lines = parseLogBuffer(raw)
      } catch {
        /* gone: the kept lines */
      }
    }
    const q = search?.toLowerCase()
    const hit = q ? lines.filter((l) => l.text.toLowerCase().includes(q)) : lines
    return { lines: hit.slice(-tail), containerId: cid }
  }

  followLogs(id: string, tail: number, signal?: AbortSignal): AsyncGenerator<LogLine> {
    const rt = this.monitor.runtime(this.definition(id).id)
    return listenIterator<LogLine>((push) => rt.onLine(push), signal, { initial: () => (tail ? rt.lines.slice(-tail) : []) })
  }

  onEvent(fn: (e: DeploymentEvent) => void): { dispose(): void } {
    this.listeners.add(fn)
    return { dispose: () => this.listeners.delete(fn) }
  }

  private emit(e: DeploymentEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e)
      } catch (err) {
        this.o.logger.error({ err }, 'deployment listener failed')
      }
    }
  }

  private emitUpdate(id: string): void {
    const d = this.defs.get(id)
    if (d) this.emit({ type: 'update', deployment: this.view(d) })
  }

  private changed(rt: Runtime): void {
    this.emitUpdate(rt.id)
  }

  /** Snapshot, then each change (coalesced per deployment). */
  watch(signal?: AbortSignal): AsyncGenerator<DeploymentEvent> {
    return listenIterator<DeploymentEvent>((push) => this.onEvent(push), signal, {
      initial: () => [{ type: 'snapshot', deployments: this.list(), orphans: this.orphans() }],
      enqueue: (queue, e) => {
        const i =
          e.type === 'update'
            ? queue.findIndex((q) => q.type === 'update' && q.deployment.definition.id === e.deployment.definition.id)
            : -1
        if (i >= 0) queue[i] = e
        else queue.push(e)
      },
    })
  }

  async dispose(): Promise<void> {
    this.monitor.dispose()
    await this.store.flush()
  }
}
