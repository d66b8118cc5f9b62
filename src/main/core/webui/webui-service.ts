import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import type { Job } from '../../../shared/contract/jobs'
import type { WebuiAccountInput, WebuiConnection, WebuiDeployInput, WebuiState, WebuiStatus } from '../../../shared/contract/webui'
import { dockerUnreachable } from '../docker/errors'
import { DockerEvents } from '../docker/events'
import { latestOnly, Publisher, type Disposable } from '../events/publisher'
import { AppError } from '../errors'
import type { JobService } from '../jobs/job-service'
import type { SecretStore } from '../settings/secrets'
import type { SettingsService } from '../settings/settings-service'
import { WebuiAdminClient, type AdminApiError } from './webui-admin'
import { assertPortFree, findWebuiContainer, localWebuiUrl, observeWebui, webuiDataSize } from './webui-docker'
import { registerWebuiJobs } from './webui-jobs'
import { ADMIN_EMAIL, ADMIN_NAME, WEBUI_LABEL, baseUrlOf, type ModelEndpointsSource } from './webui-spec'
import { webuiPort, webuiState, webuiStatus, type Observed } from './webui-status'
import { WebuiStore } from './webui-store'
import { ConnectionSync } from './webui-sync'

export interface WebuiServiceOptions {
  docker: () => Dockerode
  settings: SettingsService
  secrets: Pick<SecretStore, 'get' | 'set'>
  jobs: JobService
  endpoints: ModelEndpointsSource
  logger: Logger
  dataDir: string
}

const WEBUI_TARGET = 'webui'

type JobKind = 'webui.deploy' | 'webui.start' | 'webui.stop' | 'webui.update' | 'webui.delete'

/**
 * Open WebUI in one click: a container from Settings.webuiImage wired to the ready deployments, kept in
 * sync through Open WebUI's admin API (its connection settings persist in its database after the first
 * start, so env changes alone would do nothing). Status from Docker state + health, pushed to watchers.
 *
 * Its API: `init`/`dispose`; `refresh`, `status`, `watch` (snapshot, then every change); the actions, each checked
 * before its job starts so a bad request creates nothing (`deploy`, `start`, `stop`, `update`, `delete`);
 * `syncNow`, `createAccount`, `dataSize`. The jobs (webui-jobs.ts) and the connection sync (webui-sync.ts) get
 * only the narrow interfaces they declare.
 */
export class WebuiService {
  private readonly store: WebuiStore
  private readonly sync: ConnectionSync
  private readonly changes: Publisher<WebuiStatus>
  private readonly events: DockerEvents
  private readonly subs: Disposable[] = []
  private observed: Observed = { reachable: true, volume: false }
  /** Set while a job moves the container (creating/stopping), shown instead of Docker's view. */
  private moving: WebuiState | null = null
  private adminClient: { url: string; client: WebuiAdminClient } | undefined
  private timer: NodeJS.Timeout | undefined
  private lastJson = ''

  constructor(private readonly o: WebuiServiceOptions) {
    this.store = new WebuiStore(o.dataDir, o.secrets)
    this.changes = new Publisher({ onListenerError: (err) => o.logger.warn({ err }, 'webui status listener failed') })
    this.sync = new ConnectionSync({
      endpoints: () => o.endpoints.list(),
      store: this.store,
      admin: () => this.admin(),
      logger: o.logger,
      ready: () => this.state() === 'healthy' && !this.busy(),
      onChange: () => this.publish(),
    })
    this.events = new DockerEvents({
      docker: o.docker,
      logger: o.logger,
      labels: [`${WEBUI_LABEL.kind}=webui`],
      onEvent: () => void this.refresh(),
      onConnect: () => void this.refresh(),
      onDisconnect: () => void this.refresh(),
    })
    registerWebuiJobs(o.jobs, {
      docker: o.docker,
      settings: () => o.settings.get(),
      logger: o.logger,
      endpoints: () => o.endpoints.list(),
      store: this.store,
      sync: this.sync,
      show: (state) => {
        this.moving = state
        this.publish()
      },
      settle: () => {
        this.moving = null
        return this.refresh()
      },
    })
  }

  async init(): Promise<void> {
    await this.store.load()
    this.subs.push(this.o.endpoints.onChange(() => this.requestSync()))
    this.subs.push(
      this.o.jobs.onUpdate((j) => {
        if (j.target !== WEBUI_TARGET) return
        this.publish()
        // Deployments that changed while the job ran are picked up now.
        if (j.state === 'done') this.requestSync()
      }),
    )
    this.subs.push(
      this.o.settings.onChange((n, p) =>
        n.listenInterface !== p.listenInterface || n.webuiImage !== p.webuiImage || n.webuiPort !== p.webuiPort
          ? this.publish()
          : undefined,
      ),
    )
    this.events.start()
    await this.refresh()
    this.timer = setInterval(() => void this.refresh(), this.o.settings.get().containerRefreshMs)
    this.timer.unref()
    if (this.state() === 'healthy') this.requestSync()
  }

  /** Re-reads Docker, publishes the status, and syncs the connections when Open WebUI became healthy (or is due). */
  async refresh(): Promise<void> {
    const before = this.state()
    this.observed = await observeWebui(this.o.docker(), this.observed)
    const now = this.state()
    this.sync.observed(now === 'healthy', before !== 'healthy')
    this.publish()
  }

  status(): WebuiStatus {
    return webuiStatus({
      observed: this.observed,
      moving: this.moving,
      settings: this.o.settings.get(),
      recordTag: this.store.record.tag,
      connections: this.connections(),
      sync: this.sync.current(),
      job: this.o.jobs.active(WEBUI_TARGET)[0] ?? null,
    })
  }

  /** The status now, then each change (a burst collapses to the latest), until `signal` aborts. */
  watch(signal?: AbortSignal): AsyncGenerator<WebuiStatus> {
    return this.changes.stream(signal, { initial: () => [this.status()], enqueue: latestOnly })
  }

  /** Sync now and report (POST /webui/sync). */
  async syncNow(signal?: AbortSignal): Promise<WebuiStatus> {
    await this.needHealthy()
    await this.sync.now(signal)
    return this.status()
  }

  async createAccount(a: WebuiAccountInput, signal?: AbortSignal): Promise<{ email: string; role: string }> {
    await this.needHealthy()
    if (a.email === ADMIN_EMAIL)
      throw new AppError('BAD_REQUEST', `${ADMIN_EMAIL} is InferAdmin's own account.`, {
        fix: 'Use your own email address.',
        fields: { email: 'reserved' },
      })
    try {
      await this.admin().addUser(a, signal)
    } catch (err) {
      const e = err as AdminApiError
      if (e.status === 400)
        throw new AppError('CONFLICT', e.message, {
          fix: 'Sign in with that account, or choose another email.',
          fields: { email: 'already registered' },
        })
      throw new AppError('UNAVAILABLE', e.message, { fix: 'Check that Open WebUI is healthy, then try again.' })
    }
    return { email: a.email, role: a.role }
  }

  /** Checks before the job so a bad request creates nothing: Docker reachable, no container yet, port free. */
  async deploy(input: WebuiDeployInput): Promise<Job> {
    const s = this.o.settings.get()
    const port = input.port ?? s.webuiPort
    const tag = input.tag ?? this.store.record.tag ?? 'main'
    const existing = await this.findContainer()
    if (existing)
      throw new AppError(
        'CONFLICT',
        `Open WebUI is already deployed (${existing.Names[0]?.slice(1) ?? existing.Id.slice(0, 12)}, ${existing.State}).`,
        { fix: 'Start it, update it to another tag, or delete it first.' },
      )
    await assertPortFree(s.listenInterface, port)
    return this.launch('webui.deploy', `Deploy Open WebUI ${tag} on port ${port}`, { port, tag })
  }

  async start(): Promise<Job> {
    const c = await this.needContainer()
    if (c.State === 'running') throw new AppError('CONFLICT', 'Open WebUI is already running.', { fix: 'Stop it first to restart it.' })
    // Something else may have taken the port while it was stopped.
    await assertPortFree(this.o.settings.get().listenInterface, Number(c.Labels[WEBUI_LABEL.port] ?? this.port()))
    return this.launch('webui.start', 'Start Open WebUI', {})
  }

  async stop(): Promise<Job> {
    await this.needContainer()
    return this.launch('webui.stop', 'Stop Open WebUI', {})
  }

  async update(tag: string): Promise<Job> {
    await this.needContainer()
    return this.launch('webui.update', `Update Open WebUI to ${tag}`, { tag })
  }

  delete(data: boolean): Job {
    return this.launch('webui.delete', data ? 'Delete Open WebUI and its data' : 'Delete Open WebUI (data kept)', { data })
  }

  dataSize(): Promise<{ volume: string; exists: boolean; sizeBytes: number | null }> {
    return webuiDataSize(this.o.docker())
  }

  dispose(): void {
    clearInterval(this.timer)
    this.events.close()
    for (const s of this.subs) s.dispose()
    this.changes.clear()
  }

  // ── private ────────────────────────────────────────────────────────────────

  private state(): WebuiState {
    return webuiState(this.observed, this.moving)
  }

  private port(): number {
    return webuiPort(this.observed, this.o.settings.get())
  }

  private busy(): boolean {
    return this.o.jobs.active(WEBUI_TARGET).length > 0
  }

  private connections(): WebuiConnection[] {
    return this.o.endpoints.list().map((e) => ({ deploymentId: e.deploymentId, name: e.name, baseUrl: baseUrlOf(e.port) }))
  }

  /** Publishes the status when it differs from the last one published. */
  private publish(): void {
    const s = this.status()
    const json = JSON.stringify(s)
    if (json === this.lastJson) return
    this.lastJson = json
    this.changes.publish(s)
  }

  /** The endpoints (or a job) changed: the status shows the new list at once, the sync follows. */
  private requestSync(): void {
    this.publish()
    this.sync.request()
  }

  /** One client per address, so its session token is reused between syncs. */
  private admin(): WebuiAdminClient {
    const url = localWebuiUrl(this.o.settings.get().listenInterface, this.port())
    if (this.adminClient?.url !== url) {
      const account = { email: ADMIN_EMAIL, name: ADMIN_NAME, password: this.store.secret('webuiAdminPassword') }
      this.adminClient = { url, client: new WebuiAdminClient(url, account) }
    }
    return this.adminClient.client
  }

  private async needHealthy(): Promise<void> {
    await this.refresh()
    if (this.state() !== 'healthy')
      throw new AppError('CONFLICT', `Open WebUI is ${this.state()}, not healthy.`, {
        fix: 'Start it (or deploy it) and wait until it is healthy.',
      })
  }

  private launch(kind: JobKind, title: string, params: Record<string, unknown>): Job {
    const busy = this.o.jobs.active(WEBUI_TARGET)[0]
    if (busy)
      throw new AppError('CONFLICT', `Open WebUI has a ${busy.kind} job that is ${busy.state}.`, {
        fix: 'Wait for it to finish or cancel it.',
      })
    return this.o.jobs.start(kind, { title, target: WEBUI_TARGET, params })
  }

  private async findContainer(): Promise<Dockerode.ContainerInfo | undefined> {
    try {
      return await findWebuiContainer(this.o.docker())
    } catch (err) {
      throw dockerUnreachable(err)
    }
  }

  private async needContainer(): Promise<Dockerode.ContainerInfo> {
    const c = await this.findContainer()
    if (!c) throw new AppError('NOT_FOUND', 'Open WebUI is not deployed.', { fix: 'Deploy it first (POST /api/v1/webui).' })
    return c
  }
}
