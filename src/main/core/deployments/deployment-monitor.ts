import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import type { DeploymentDefinition, LogLine, OrphanContainer } from '../../../shared/contract/deployments'
import type { GpusSnapshot } from '../../../shared/contract/gpu'
import { DockerEvents, type ContainerEvent } from '../docker/events'
import { Publisher, type Disposable } from '../events/publisher'
import type { GpuService } from '../gpu/gpu-service'
import type { SettingsService } from '../settings/settings-service'
import { LABEL } from './container-spec'
import { diagnose, phaseOf, READY_LINE } from './log-analysis'
import { LogFollower, parseLogBuffer } from './log-follower'
import { containerVram, verifyPlacement } from './gpu-placement'
import { httpUrl, reachHost } from '../docker/net'
import { publishedAt } from './published'
import { Runtime } from './runtime'
import type { PhaseTimings } from './store'

export interface MonitorDeps {
  docker: () => Dockerode
  gpu: GpuService
  settings: SettingsService
  logger: Logger
  /** The saved definitions (read) and their load timings (read and recorded after each load). */
  definitions: MonitoredDefinitions
}

export interface MonitoredDefinitions {
  find(id: string): DeploymentDefinition | undefined
  ids(): string[]
  timingsOf(id: string): PhaseTimings | undefined
  saveTimings(id: string, t: PhaseTimings): void
  /** The container the app last stopped for this deployment (persisted), if any. */
  stoppedByApp(id: string): string | undefined
}

/**
 * Keeps every deployment's status true to Docker: the event stream (reconnecting after dockerd
 * restarts), a reconcile on (re)connect and at the container refresh interval as a fallback, log
 * followers that move the load phases, /health probes and Docker health for readiness, failure
 * diagnosis on exit, GPU placement checks and VRAM from the GPU attribution.
 */
export class DeploymentMonitor {
  private readonly runtimes = new Map<string, Runtime>()
  private orphanList: OrphanContainer[] = []
  private readonly changes: Publisher<Runtime>
  private readonly orphanChanges: Publisher<OrphanContainer[]>
  private readonly events: DockerEvents
  private timer: NodeJS.Timeout | undefined
  private reconciling: Promise<void> | undefined
  private again = false
  private closed = false
  private readonly gpuSub: { dispose(): void }
  private readonly settingsSub: { dispose(): void }
  private readonly adopted = new Set<string>()

  constructor(private readonly d: MonitorDeps) {
    const onListenerError = (err: unknown): void => d.logger.error({ err }, 'deployment listener failed')
    this.changes = new Publisher({ onListenerError })
    this.orphanChanges = new Publisher({ onListenerError })
    this.events = new DockerEvents({
      docker: d.docker,
      logger: d.logger,
      labels: [`${LABEL.kind}=vllm`],
      onEvent: (e) => this.onEvent(e),
      onConnect: () => void this.reconcile(),
      onDisconnect: () => undefined,
    })
    this.gpuSub = d.gpu.onSnapshot((s) => this.onGpus(s))
    this.settingsSub = d.settings.onChange((next, prev) => {
      if (next.dockerSocket !== prev.dockerSocket) {
        this.events.reconnect()
        void this.reconcile()
      }
    })
  }

  runtime(id: string): Runtime {
    let r = this.runtimes.get(id)
    if (!r) {
      r = new Runtime(id, (x) => this.changes.publish(x), this.d.definitions.timingsOf(id))
      this.runtimes.set(id, r)
    }
    return r
  }

  /** A definition is gone: stop following its container and forget its state. */
  forget(id: string): void {
    this.runtimes.get(id)?.stopFollowing()
    this.runtimes.delete(id)
  }

  /** Every change of a deployment's status (state, phase, progress, endpoint, diagnosis, VRAM). */
  onChange(fn: (rt: Runtime) => void): Disposable {
    return this.changes.subscribe(fn)
  }

  /** Our containers whose definition is gone, whenever that list changes. */
  get orphans(): OrphanContainer[] {
    return this.orphanList
  }

  onOrphans(fn: (orphans: OrphanContainer[]) => void): Disposable {
    return this.orphanChanges.subscribe(fn)
  }

  start(): void {
    this.events.start()
    const tick = (): void => {
      this.timer = setTimeout(() => {
        void this.reconcile().finally(() => !this.closed && tick())
      }, this.d.settings.get().containerRefreshMs)
      this.timer.unref()
    }
    tick()
  }

  /** Bring every runtime in line with the containers Docker has (coalesced: one at a time, one queued). */
  reconcile(): Promise<void> {
    if (this.reconciling) {
      this.again = true
      return this.reconciling
    }
    this.reconciling = (async () => {
      do {
        this.again = false
        try {
          await this.reconcileOnce()
        } catch (err) {
          this.d.logger.debug({ err }, 'reconcile failed (Docker unreachable?)')
        }
      } while (this.again && !this.closed)
    })().finally(() => (this.reconciling = undefined))
    return this.reconciling
  }

  private async reconcileOnce(): Promise<void> {
    const docker = this.d.docker()
    const list = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${LABEL.kind}=vllm`, `${LABEL.managed}=true`] }),
    })
    const byDeployment = new Map<string, Dockerode.ContainerInfo>()
    const orphans: OrphanContainer[] = []
    for (const c of list.sort((a, b) => a.Created - b.Created)) {
      const id = c.Labels[LABEL.deployment]
      if (!id) continue
      if (!this.d.definitions.find(id)) {
        orphans.push({
          containerId: c.Id,
          name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
          deploymentId: id,
          model: c.Labels[LABEL.model] ?? '',
          image: c.Image,
          state: c.State,
        })
        continue
      }
      byDeployment.set(id, c)
    }
    if (JSON.stringify(orphans) !== JSON.stringify(this.orphanList)) {
      this.orphanList = orphans
      this.orphanChanges.publish(orphans)
    }
    for (const id of this.d.definitions.ids()) {
      const rt = this.runtime(id)
      if (rt.busy) continue
      const c = byDeployment.get(id)
      if (!c) {
        if (rt.status.containerId) rt.stopFollowing()
        if (rt.state !== 'stopped' && rt.state !== 'failed')
          rt.setState('stopped', { containerId: null, hostPort: null, endpoint: null, listen: null, networkUrls: [] })
        else if (rt.status.containerId) rt.patch({ containerId: null, hostPort: null, endpoint: null, listen: null, networkUrls: [] })
        continue
      }
      await this.syncContainer(rt, c.Id)
    }
  }

  /** One deployment's container as Docker sees it now. */
  private async syncContainer(rt: Runtime, containerId: string): Promise<void> {
    const info = await this.d.docker().getContainer(containerId).inspect()
    if (rt.busy) return
    const fresh = !this.adopted.has(rt.id)
    this.adopted.add(rt.id)
    const binding = info.HostConfig.PortBindings?.['8000/tcp']?.[0]
    const port = Number(binding?.HostPort || info.Config.Labels[LABEL.port] || 0) || null
    // Where Docker really published it (the setting may have changed since).
    const iface = binding?.HostIp || this.d.settings.get().listenInterface
    const where = port ? publishedAt(iface, port) : { endpoint: null, listen: null, networkUrls: [] }
    const base = { containerId, hostPort: port, ...where, commit: info.Config.Labels[LABEL.revision] ?? null }
    if (rt.status.containerId !== containerId || rt.status.hostPort !== port) rt.patch(base)
    if (info.State.Running) {
      if (rt.followedContainer !== containerId) this.follow(rt, containerId, Math.floor(Date.parse(info.State.StartedAt) / 1000) || 0)
      const healthy = info.State.Health?.Status === 'healthy'
      if (healthy && rt.state !== 'ready' && rt.state !== 'stopping') {
        if (rt.state === 'stopped' || rt.state === 'failed') {
          // Adopted (app restart) or restarted by Docker while we were not looking: ready as it is.
          rt.patch({
            state: 'ready',
            since: new Date().toISOString(),
            startedAt: info.State.StartedAt,
            readyAt: new Date().toISOString(),
            phase: null,
            progress: 1,
            etaSeconds: 0,
            diagnosis: null,
          })
          this.verifyGpus(rt)
        } else this.markReady(rt)
      } else if (!healthy && (rt.state === 'stopped' || rt.state === 'failed')) {
        rt.adoptedLoad = true
        rt.setState('starting', { startedAt: info.State.StartedAt })
      }
      return
    }
    if (info.State.Restarting) return
    if (rt.followedContainer === containerId) rt.stopFollowing()
    if (rt.state === 'stopped' || rt.state === 'failed') {
      const byApp = this.d.definitions.stoppedByApp(rt.id) === containerId
      if (fresh && info.State.ExitCode !== 0 && rt.state === 'stopped' && info.State.Status !== 'created' && !byApp)
        await this.exited(rt, containerId, info.State.ExitCode, true)
      return
    }
    await this.exited(rt, containerId, info.State.Status === 'created' ? null : info.State.ExitCode)
  }

  /**
   * The container stopped: stopped when asked (or exit 0), else failed with the diagnosis. `adopting`: a
   * container found exited at app start (its non-zero exit is reported as the failure it was).
   */
  async exited(rt: Runtime, containerId: string, exitCode: number | null, adopting = false): Promise<void> {
    if (rt.status.containerId && rt.status.containerId !== containerId) return
    // Already stopped by a stop job (a SIGKILL after the grace period exits 137: still a stop).
    if (!adopting && rt.state === 'stopped') return
    let lines = rt.lines
    try {
      const raw = (await this.d
        .docker()
        .getContainer(containerId)
        .logs({ stdout: true, stderr: true, timestamps: true, tail: 400, follow: false })) as unknown as Buffer
      const parsed = parseLogBuffer(raw)
      if (parsed.length) {
        lines = parsed
        if (rt.lines.length < parsed.length) rt.replaceLines(parsed)
      }
    } catch {
      /* container gone: use what the follower kept */
    }
    if (rt.busy && !rt.exitExpected) return
    if (!adopting && rt.state === 'stopped') return
    if (rt.takeExpectedExit() || rt.state === 'stopping' || exitCode === 0) {
      rt.setState('stopped')
      return
    }
    const def = this.d.definitions.find(rt.id)
    rt.fail(
      diagnose(
        lines.map((l) => l.text),
        exitCode,
        { args: def?.args ?? {}, extraArgs: def?.extraArgs ?? '' },
      ),
    )
  }

  /** Follow a container's log from `since` (unix seconds; 0 = from the first line). */
  follow(rt: Runtime, containerId: string, since = 0): void {
    rt.stopFollowing()
    const container = this.d.docker().getContainer(containerId)
    // Following again (the log stream ended with dockerd) replays from `since`: skip the lines already kept.
    const key = (l: LogLine): string => `${l.at} ${l.stream} ${l.text}`
    let kept: Set<string> | undefined = rt.lines.length ? new Set(rt.lines.filter((l) => l.at).map(key)) : undefined
    const f = new LogFollower(
      container,
      (l) => {
        if (kept?.has(key(l))) return
        kept = undefined
        rt.addLine(l)
        const phase = phaseOf(l.text)
        if (phase) rt.enterPhase(phase)
        if (READY_LINE.test(l.text)) void this.probeHealth(rt)
      },
      () => {
        if (rt.follower === f) {
          rt.follower = undefined
          rt.followedContainer = null
        }
      },
    )
    rt.follower = f
    rt.followedContainer = containerId
    f.start(since).catch((err: unknown) => {
      this.d.logger.debug({ err, containerId }, 'log follow failed')
      if (rt.follower === f) rt.stopFollowing()
    })
  }

  /** Poll GET /health on the published port until 200 (or the load ends another way). */
  async probeHealth(rt: Runtime): Promise<void> {
    if (rt.probing) return
    rt.probing = true
    try {
      const deadline = Date.now() + 120_000
      while (Date.now() < deadline && (rt.state === 'starting' || rt.state === 'loading') && !this.closed) {
        const port = rt.status.hostPort
        if (port) {
          try {
            const host = reachHost(this.d.settings.get().listenInterface)
            const res = await fetch(httpUrl(host, port, '/health'), { signal: AbortSignal.timeout(2000) })
            if (res.ok) {
              this.markReady(rt)
              return
            }
          } catch {
            /* not listening yet */
          }
        }
        await new Promise((r) => setTimeout(r, 200))
      }
    } finally {
      rt.probing = false
    }
  }

  markReady(rt: Runtime): void {
    if (rt.state !== 'starting' && rt.state !== 'loading') return
    rt.setState('ready')
    if (!rt.adoptedLoad && rt.status.timings.length) {
      rt.previous = rt.status.timings
      this.d.definitions.saveTimings(rt.id, rt.status.timings)
    }
    rt.adoptedLoad = false
    this.verifyGpus(rt)
  }

  private onEvent(e: ContainerEvent): void {
    const id = e.attributes[LABEL.deployment]
    const rt = id ? this.runtimes.get(id) : undefined
    const action = e.action
    if (!rt || !this.d.definitions.find(rt.id)) {
      if (action === 'create' || action === 'destroy' || action === 'start' || action === 'die') void this.reconcile()
      return
    }
    if (action === 'health_status: healthy' || action === 'health_status:healthy') {
      if (rt.status.containerId === e.id) this.markReady(rt)
      return
    }
    if (rt.busy) return
    if (action === 'start') {
      if (rt.state === 'stopped' || rt.state === 'failed' || rt.status.containerId !== e.id) {
        rt.patch({ containerId: e.id })
        rt.setState('starting')
        // Only this run's lines: a container restarted in place keeps the previous run's log.
        this.follow(rt, e.id, Math.floor(Date.now() / 1000) - 1)
      }
      return
    }
    if (action === 'die') {
      const code = Number(e.attributes.exitCode ?? 'NaN')
      void this.exited(rt, e.id, Number.isFinite(code) ? code : null)
      return
    }
    if (action === 'destroy' || action === 'create') void this.reconcile()
  }

  /** After ready: the container's processes must be on the requested GPUs (compute apps); else a warning. */
  verifyGpus(rt: Runtime): void {
    const def = this.d.definitions.find(rt.id)
    if (def?.gpus.length) verifyPlacement(rt, def.gpus, this.d.gpu, this.d.settings.get().gpuRefreshMs)
  }

  private onGpus(s: GpusSnapshot): void {
    for (const rt of this.runtimes.values()) {
      const cid = rt.status.containerId
      if (!cid || rt.state === 'stopped' || rt.state === 'failed') continue
      const v = containerVram(s, cid)
      if (v !== rt.status.vramMiB) rt.patch({ vramMiB: v })
    }
  }

  /** A container id that belongs to no definition. */
  isOrphan(containerId: string): boolean {
    return this.orphanList.some((o) => o.containerId === containerId)
  }

  dispose(): void {
    this.closed = true
    clearTimeout(this.timer)
    this.events.close()
    this.gpuSub.dispose()
    this.settingsSub.dispose()
    for (const rt of this.runtimes.values()) rt.stopFollowing()
    this.changes.clear()
    this.orphanChanges.clear()
  }
}
