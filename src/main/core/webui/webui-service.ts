import { randomBytes } from 'node:crypto'
import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import type { Job } from '../../../shared/contract/jobs'
import type {
  WebuiAccountInput,
  WebuiConnection,
  WebuiDeployInput,
  WebuiState,
  WebuiStatus,
  WebuiSync,
} from '../../../shared/contract/webui'
import { DOCKER_FIX, dockerUnreachable, dockerUnreachableText } from '../docker/errors'
import { DockerEvents } from '../docker/events'
import { httpUrl, portFree, reachHost } from '../docker/net'
import { AppError } from '../errors'
import type { JobService } from '../jobs/job-service'
import type { SecretStore } from '../settings/secrets'
import type { SettingsService } from '../settings/settings-service'
import { WebuiAdminClient, type AdminApiError } from './webui-admin'
import { registerWebuiJobs } from './webui-jobs'
import { ADMIN_EMAIL, ADMIN_NAME, WEBUI_LABEL, WEBUI_VOLUME, baseUrlOf, isLoopback, type ModelEndpointsSource } from './webui-spec'
import { WebuiStore, type WebuiRecord } from './webui-store'
import { syncConnections } from './webui-sync'

export interface WebuiServiceOptions {
  docker: () => Dockerode
  settings: SettingsService
  secrets: SecretStore
  jobs: JobService
  endpoints: ModelEndpointsSource
  logger: Logger
  dataDir: string
}

export const WEBUI_TARGET = 'webui'
/** A failed connection update is retried this often; a good one re-checked (drift) this often. */
const RETRY_FAILED_MS = 30_000
const RECHECK_MS = 5 * 60_000

interface Observed {
  reachable: boolean
  error?: string
  info?: Dockerode.ContainerInspectInfo
  volume: boolean
}

/**
 * Open WebUI in one click: a container from Settings.webuiImage wired to the ready deployments, kept in
 * sync through Open WebUI's admin API (its connection settings persist in its database after the first
 * start, so env changes alone would do nothing). Status from Docker state + health, pushed to watchers.
 */
export class WebuiService {
  readonly store: WebuiStore
  record: WebuiRecord = { tag: null, port: null, managedUrls: [], fresh: false, accountsVolume: null }
  private observed: Observed = { reachable: true, volume: false }
  private sync: WebuiSync = { state: 'not-running', at: null, message: null, fix: null, applied: [] }
  private readonly listeners = new Set<(s: WebuiStatus) => void>()
  private readonly events: DockerEvents
  private readonly subs: { dispose(): void }[] = []
  private timer: NodeJS.Timeout | undefined
  private syncChain: Promise<void> = Promise.resolve()
  private syncQueued = false
  /** Set while a job moves the container (creating/stopping), shown instead of Docker's view. */
  transient: WebuiState | null = null
  private lastJson = ''

  constructor(readonly o: WebuiServiceOptions) {
    this.store = new WebuiStore(o.dataDir)
    this.events = new DockerEvents({
      docker: o.docker,
      logger: o.logger,
      labels: [`${WEBUI_LABEL.kind}=webui`],
      onEvent: () => void this.refresh(),
      onConnect: () => void this.refresh(),
      onDisconnect: () => void this.refresh(),
    })
    registerWebuiJobs(this)
  }

  async init(): Promise<void> {
    this.record = await this.store.load()
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

  // ── secrets and admin ──────────────────────────────────────────────────────

  /** Generated once and kept: sessions and data stay valid across stop/start/update. */
  secret(name: 'webuiSecretKey' | 'webuiAdminPassword'): string {
    let v = this.o.secrets.get(name)
    if (!v) {
      v = randomBytes(32).toString('base64url')
      this.o.secrets.set(name, v)
    }
    return v
  }

  private adminClient: { url: string; client: WebuiAdminClient } | undefined

  /** One client per address, so its session token is reused between syncs. */
  admin(): WebuiAdminClient {
    const url = this.localUrl()
    if (this.adminClient?.url !== url)
      this.adminClient = {
        url,
        client: new WebuiAdminClient(url, { email: ADMIN_EMAIL, name: ADMIN_NAME, password: this.secret('webuiAdminPassword') }),
      }
    return this.adminClient.client
  }

  /** Where this process reaches Open WebUI. */
  localUrl(): string {
    return httpUrl(reachHost(this.o.settings.get().listenInterface), this.port())
  }

  port(): number {
    const label = this.observed.info?.Config.Labels?.[WEBUI_LABEL.port]
    // Without a container: the port a deploy would use.
    return label ? Number(label) : this.o.settings.get().webuiPort
  }

  tag(): string {
    return this.observed.info?.Config.Labels?.[WEBUI_LABEL.tag] ?? this.record.tag ?? 'main'
  }

  desired(): WebuiConnection[] {
    return this.o.endpoints.list().map((e) => ({ deploymentId: e.deploymentId, name: e.name, baseUrl: baseUrlOf(e.port) }))
  }

  async saveRecord(patch: Partial<WebuiRecord>): Promise<void> {
    this.record = { ...this.record, ...patch }
    await this.store.save(this.record)
  }

  // ── observation ────────────────────────────────────────────────────────────

  async container(): Promise<Dockerode.ContainerInfo | undefined> {
    const list = await this.o
      .docker()
      .listContainers({ all: true, filters: JSON.stringify({ label: [`${WEBUI_LABEL.kind}=webui`, `${WEBUI_LABEL.managed}=true`] }) })
    return list.sort((a, b) => b.Created - a.Created)[0]
  }

  async volumeExists(): Promise<boolean> {
    return (await this.volumeId()) !== null
  }

  /** The data volume's id label (tells a recreated volume from the one we know; '' on one without it); null without a volume. */
  async volumeId(): Promise<string | null> {
    try {
      const v = (await this.o.docker().getVolume(WEBUI_VOLUME).inspect()) as { Labels?: Record<string, string> | null }
      return v.Labels?.[WEBUI_LABEL.volumeId] ?? ''
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return null
      throw err
    }
  }

  async refresh(): Promise<void> {
    const before = this.state()
    try {
      const c = await this.container()
      const info = c ? await this.o.docker().getContainer(c.Id).inspect() : undefined
      this.observed = { reachable: true, info, volume: await this.volumeExists() }
    } catch (err) {
      const e = err as { statusCode?: number; message: string }
      this.observed =
        e.statusCode === 404
          ? { reachable: true, volume: this.observed.volume }
          : { reachable: false, error: e.message, volume: this.observed.volume }
    }
    const now = this.state()
    if (now !== 'healthy' && this.sync.state !== 'failed') this.sync = { ...this.sync, state: 'not-running' }
    if (now === 'healthy' && !this.o.jobs.active(WEBUI_TARGET).length) {
      // On becoming healthy; then re-checked now and then (connections edited by hand, a failed update retried).
      const age = this.sync.at ? Date.now() - Date.parse(this.sync.at) : Infinity
      if (before !== 'healthy' || age > (this.sync.state === 'failed' ? RETRY_FAILED_MS : RECHECK_MS)) this.requestSync()
    }
    this.publish()
  }

  state(): WebuiState {
    if (this.transient) return this.transient
    if (!this.observed.reachable) return 'docker-unreachable'
    const st = this.observed.info?.State
    if (!st) return 'absent'
    if (st.Status === 'running' || st.Status === 'restarting') {
      const h = st.Health?.Status
      return h === 'healthy' ? 'healthy' : h === 'unhealthy' ? 'unhealthy' : 'starting'
    }
    if (st.Status === 'created') return 'stopped'
    return st.ExitCode === 0 || st.ExitCode === 143 ? 'stopped' : 'failed'
  }

  status(): WebuiStatus {
    const s = this.o.settings.get()
    const info = this.observed.info
    const state = this.state()
    const h = reachHost(s.listenInterface)
    const running = state === 'healthy' || state === 'starting' || state === 'unhealthy'
    const job = this.o.jobs.active(WEBUI_TARGET)[0] ?? null
    let error: WebuiStatus['error'] = null
    const unreachable = `${dockerUnreachableText(this.observed.error ?? 'no answer')}.`
    if (state === 'docker-unreachable') error = { message: unreachable, fix: DOCKER_FIX }
    else if (state === 'failed')
      error = {
        message: `Open WebUI exited with code ${info?.State.ExitCode ?? '?'}${info?.State.Error ? `: ${info.State.Error}` : ''}.`,
        fix: 'Read its log (docker logs inferadmin-open-webui), then start it again or update to another tag.',
      }
    else if (state === 'unhealthy')
      error = {
        message: 'Open WebUI runs but its health check fails.',
        fix: 'Read its log (docker logs inferadmin-open-webui); restart it with stop and start.',
      }
    return {
      state,
      image: `${s.webuiImage}:${this.tag()}`,
      tag: this.tag(),
      port: this.port(),
      url: running ? httpUrl(h, this.port(), '/') : null,
      containerId: info?.Id ?? null,
      health: info?.State.Health?.Status ?? null,
      volume: { name: WEBUI_VOLUME, exists: this.observed.volume },
      connections: this.desired(),
      sync: this.sync,
      warning: isLoopback(s.listenInterface)
        ? {
            message: `Deployments listen on ${s.listenInterface} only, which Open WebUI's container cannot reach through host.docker.internal.`,
            fix: 'Set the listen interface to 0.0.0.0 in Settings, then restart the deployments.',
          }
        : null,
      error,
      job,
    }
  }

  publish(): void {
    const s = this.status()
    const json = JSON.stringify(s)
    if (json === this.lastJson) return
    this.lastJson = json
    for (const fn of this.listeners) fn(s)
  }

  setSync(s: Partial<WebuiSync>): void {
    this.sync = { ...this.sync, ...s }
    this.publish()
  }

  // ── sync ───────────────────────────────────────────────────────────────────

  /** Coalesced: one sync at a time, one more queued when something changed meanwhile. */
  requestSync(): void {
    this.publish()
    if (this.syncQueued) return
    this.syncQueued = true
    this.syncChain = this.syncChain.then(async () => {
      this.syncQueued = false
      if (this.state() !== 'healthy' || this.o.jobs.active(WEBUI_TARGET).length) return
      await syncConnections(this).catch((err: Error) => this.o.logger.warn({ err: err.message }, 'webui sync failed'))
    })
  }

  /** Sync now and report (POST /webui/sync). */
  async syncNow(signal?: AbortSignal): Promise<WebuiStatus> {
    await this.refresh()
    if (this.state() !== 'healthy')
      throw new AppError('CONFLICT', `Open WebUI is ${this.state()}, not healthy.`, {
        fix: 'Start it (or deploy it) and wait until it is healthy.',
      })
    await (this.syncChain = this.syncChain.then(() => syncConnections(this, signal).catch(() => undefined)))
    return this.status()
  }

  async createAccount(a: WebuiAccountInput, signal?: AbortSignal): Promise<{ email: string; role: string }> {
    await this.refresh()
    if (this.state() !== 'healthy')
      throw new AppError('CONFLICT', `Open WebUI is ${this.state()}, not healthy.`, {
        fix: 'Start it (or deploy it) and wait until it is healthy.',
      })
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

  // ── actions (jobs) ─────────────────────────────────────────────────────────

  private launch(
    kind: 'webui.deploy' | 'webui.start' | 'webui.stop' | 'webui.update' | 'webui.delete',
    title: string,
    params: Record<string, unknown>,
  ): Job {
    const busy = this.o.jobs.active(WEBUI_TARGET)[0]
    if (busy)
      throw new AppError('CONFLICT', `Open WebUI has a ${busy.kind} job that is ${busy.state}.`, {
        fix: 'Wait for it to finish or cancel it.',
      })
    return this.o.jobs.start(kind, { title, target: WEBUI_TARGET, params })
  }

  private async needContainer(): Promise<Dockerode.ContainerInfo> {
    let c: Dockerode.ContainerInfo | undefined
    try {
      c = await this.container()
    } catch (err) {
      throw dockerUnreachable(err)
    }
    if (!c) throw new AppError('NOT_FOUND', 'Open WebUI is not deployed.', { fix: 'Deploy it first (POST /api/v1/webui).' })
    return c
  }

  /** Checks before the job so a bad request creates nothing: Docker reachable, no container yet, port free. */
  async deploy(input: WebuiDeployInput): Promise<Job> {
    const s = this.o.settings.get()
    const port = input.port ?? s.webuiPort
    const tag = input.tag ?? this.record.tag ?? 'main'
    let existing: Dockerode.ContainerInfo | undefined
    try {
      existing = await this.container()
    } catch (err) {
      throw dockerUnreachable(err)
    }
    if (existing)
      throw new AppError(
        'CONFLICT',
        `Open WebUI is already deployed (${existing.Names[0]?.slice(1) ?? existing.Id.slice(0, 12)}, ${existing.State}).`,
        { fix: 'Start it, update it to another tag, or delete it first.' },
      )
    await this.assertPortFree(port)
    return this.launch('webui.deploy', `Deploy Open WebUI ${tag} on port ${port}`, { port, tag })
  }

  async assertPortFree(port: number): Promise<void> {
    const iface = this.o.settings.get().listenInterface
    if (!(await portFree(iface, port)))
      throw new AppError('CONFLICT', `Port ${port} is in use on ${iface}.`, {
        fix: `Choose another port for Open WebUI, or stop what listens on port ${port}.`,
        fields: { port: `port ${port} is in use` },
      })
  }

  async start(): Promise<Job> {
    const c = await this.needContainer()
    if (c.State === 'running') throw new AppError('CONFLICT', 'Open WebUI is already running.', { fix: 'Stop it first to restart it.' })
    // Something else may have taken the port while it was stopped.
    await this.assertPortFree(Number(c.Labels[WEBUI_LABEL.port] ?? this.port()))
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

  async dataSize(): Promise<{ volume: string; exists: boolean; sizeBytes: number | null }> {
    try {
      const df = (await this.o.docker().df()) as { Volumes?: { Name: string; UsageData?: { Size?: number } }[] }
      const v = df.Volumes?.find((x) => x.Name === WEBUI_VOLUME)
      const size = v?.UsageData?.Size
      return { volume: WEBUI_VOLUME, exists: !!v, sizeBytes: typeof size === 'number' && size >= 0 ? size : null }
    } catch (err) {
      throw dockerUnreachable(err)
    }
  }

  // ── watch ──────────────────────────────────────────────────────────────────

  onChange(fn: (s: WebuiStatus) => void): { dispose(): void } {
    this.listeners.add(fn)
    return { dispose: () => this.listeners.delete(fn) }
  }

  async *watch(signal?: AbortSignal): AsyncGenerator<WebuiStatus> {
    let latest: WebuiStatus | undefined
    let wake: (() => void) | undefined
    const sub = this.onChange((s) => {
      latest = s
      wake?.()
    })
    const onAbort = (): void => wake?.()
    signal?.addEventListener('abort', onAbort)
    try {
      yield this.status()
      while (!signal?.aborted) {
        if (!latest) await new Promise<void>((r) => (wake = r))
        wake = undefined
        if (latest && !signal?.aborted) {
          const s = latest
          latest = undefined
          yield s
        }
      }
    } finally {
      sub.dispose()
      signal?.removeEventListener('abort', onAbort)
    }
  }

  dispose(): void {
    clearInterval(this.timer)
    this.events.close()
    for (const s of this.subs) s.dispose()
    this.listeners.clear()
  }
}
