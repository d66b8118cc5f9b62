import { join } from 'node:path'
import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import type { AppInfo } from '../../shared/contract/system'
import { DeploymentDefinitions } from './deployments/definitions'
import { DeploymentMonitor } from './deployments/deployment-monitor'
import { DeploymentService, imagesInUse, modelUsers } from './deployments/deployment-service'
import { DeploymentInspector } from './deployments/inspector'
import { FootprintLearner } from './deployments/footprint-learner'
import { FootprintStore } from './planner/footprint-store'
import { DisposeStack } from './dispose-stack'
import { createGpuMetrics } from './gpu/metrics'
import { GpuService, type GpuTuning } from './gpu/gpu-service'
import { createDockerPidResolver } from './gpu/pid-resolver'
import { gpuWorkerBeside, nvidiaSmiPath } from './gpu/worker-file'
import { catalogFlagSet } from './engine/versions-diff'
import { FlagCatalogService } from './engine/flags-service'
import { AlwaysLatestRedeployer, latestImageResolver } from './engine/versions-redeploy'
import { EngineVersionsService } from './engine/versions-service'
import { DockerEndpoint } from './docker/endpoint'
import { HostService } from './host/host-service'
import { JobService } from './jobs/job-service'
import { ModelService, type ModelServiceOptions } from './models/model-service'
import { TransferThread, transferWorkerBeside, type WorkerEntry } from './models/transfer-thread'
import { createLogger } from './logging/logger'
import { NotifyService } from './notify/notify-service'
import type { AppPaths } from './paths'
import { createRouter, type AppRouter } from './router'
import type { KeyValueFileFactory, SecretCodec } from './settings/backend'
import { defaultSettings } from './settings/defaults'
import { SecretStore } from './settings/secrets'
import { SettingsService } from './settings/settings-service'
import { CpuPool } from './workers/cpu-pool'
import { IoLimiter } from './workers/io-limiter'
import { modelEndpoints } from './webui/deployment-endpoints'
import { Gateway, gatewayCheck } from './gateway/gateway-app'
import { deploymentBackends, upstreamKeys } from './gateway/deployment-backends'
import { createPlanner } from './planner/create-planner'
import type { PlannerService } from './planner/planner-service'
import { WebuiService } from './webui/webui-service'

export interface CoreOptions {
  mode: 'desktop' | 'headless'
  version: string
  paths: AppPaths
  openSettingsFile: KeyValueFileFactory
  secretCodec: SecretCodec
  /** Built piscina worker entry; defaults to pool-worker.js next to the entry file. */
  workerFile?: string
  /** The transfer thread's entry; defaults to transfer-worker.js next to the pool worker (or the source through tsx). */
  transferWorker?: WorkerEntry
  /** Built GPU sampler worker entry; defaults to gpu-worker.js next to the entry file. */
  gpuWorkerFile?: string
  /** GPU sampler backoff / cadence overrides (tests). */
  gpuTuning?: Partial<GpuTuning>
  /** Model download tuning (tests): retry backoff, stall timeout, chunk size. */
  modelTuning?: Pick<ModelServiceOptions, 'retry' | 'stallMs' | 'chunkSize'>
  env?: NodeJS.ProcessEnv
  logger?: Logger
  /** Seconds between SIGTERM and SIGKILL when a deployment stops (default 30). */
  deploymentStopGraceSeconds?: number
  /** Tests: runs once every service has started, before the core is returned; a throw there fails start-up. */
  afterInit?: () => void | Promise<void>
}

export interface Core {
  router: AppRouter
  logger: Logger
  settings: SettingsService
  cpu: CpuPool
  io: IoLimiter
  gpu: GpuService
  jobs: JobService
  models: ModelService
  engine: EngineVersionsService
  deployments: DeploymentService
  webui: WebuiService
  gateway: Gateway
  /** Notifications (the desktop shell shows them natively; the web UI gets them over notifications.watch). */
  notify: NotifyService
  /** Learned memory footprints per fingerprint (issue #16): admission reads it as a FootprintLookup. */
  footprints: FootprintStore
  /** Admission, eviction and placement of gateway and manual starts (issue #16). */
  planner: PlannerService
  /** Prometheus text for GET /metrics. */
  metrics: { contentType: string; render(): Promise<string> }
  /** Drains pools and closes services; safe to call twice. */
  dispose(): Promise<void>
}

/**
 * The one composition root: builds every service and the router; the shells only add transports. Each service that
 * starts something registers how to stop it; when a start-up step fails, what already started stops (newest first)
 * and the error is rethrown.
 */
export async function createCore(opts: CoreOptions): Promise<Core> {
  const logger = opts.logger ?? (await createLogger({ dataDir: opts.paths.dataDir, stderr: opts.mode === 'headless' }))
  const started = new DisposeStack((err) => logger.warn({ err }, 'a service did not stop cleanly'))
  try {
    return await buildCore(opts, logger, started)
  } catch (err) {
    await started.dispose()
    logger.info('start-up failed; what had started is stopped')
    logger.flush()
    throw err
  }
}

async function buildCore(opts: CoreOptions, logger: Logger, started: DisposeStack): Promise<Core> {
  const env = opts.env ?? process.env
  const secrets = new SecretStore(opts.paths.configDir, opts.secretCodec, logger)
  const settings = new SettingsService({
    openFile: opts.openSettingsFile,
    filePath: join(opts.paths.configDir, 'settings.json'),
    secrets,
    defaults: defaultSettings(opts.paths, env),
    logger,
    env,
  })
  const initial = settings.get()
  const cpu = new CpuPool({
    workerFile: opts.workerFile ?? new URL('./pool-worker.js', import.meta.url).pathname,
    size: initial.cpuPoolSize,
    logger,
  })
  const io = new IoLimiter(initial.ioConcurrency)
  started.defer(async () => {
    const [ioResult] = await Promise.all([io.close(4000), cpu.close(4000)])
    logger.info({ io: ioResult }, 'pools closed')
  })
  // Downloads run on their own thread (#18); it stops after the jobs using it (deferred earlier).
  const transfers = new TransferThread({ entry: opts.transferWorker ?? transferWorkerBeside(opts.workerFile), io, logger })
  started.defer(() => transfers.dispose())
  const docker = new DockerEndpoint(settings, env)
  const smiPath = nvidiaSmiPath(env)
  const gpu = new GpuService({
    settings,
    logger,
    workerFile: opts.gpuWorkerFile ?? gpuWorkerBeside(opts.workerFile),
    smiPath,
    resolvePids: createDockerPidResolver({ docker: () => docker.client(), logger }),
    tuning: opts.gpuTuning,
  })
  started.defer(() => gpu.dispose())
  gpu.start()
  const host = new HostService({ settings, secrets, logger, docker, gpu, smiPath, env, moreChecks: () => [gatewayCheck(gateway.status())] })
  const jobs = new JobService({ dir: join(opts.paths.dataDir, 'jobs'), logger })
  const dockerClient = (): Dockerode => docker.client()
  const models = new ModelService({
    settings,
    secrets,
    jobs,
    io,
    transfers,
    logger,
    dataDir: opts.paths.dataDir,
    env,
    ...opts.modelTuning,
    inUse: (repo, commit): string[] => modelUsers(deployments.list(), repo, commit),
    namedBy: (repo): string[] => deployments.list().flatMap((d) => (d.definition.model.repo === repo ? [d.definition.name] : [])),
  })
  const flags = new FlagCatalogService({ docker: dockerClient, dataDir: opts.paths.dataDir, logger })
  const engine = new EngineVersionsService({
    settings,
    docker,
    jobs,
    logger,
    dataDir: opts.paths.dataDir,
    env,
    // Prune/DELETE keep images a deployment definition names, even with no container.
    imageUsage: async (): Promise<{ ref: string; by: string }[]> => imagesInUse(deployments.list()),
    flagSource: async (ref) => catalogFlagSet(await flags.forImage(ref)),
  })
  const registry = createGpuMetrics(() => gpu.snapshot())
  const upstreamKey = upstreamKeys(secrets)
  // While the gateway serves, containers publish on loopback only and need its generated key.
  const front = { active: (): boolean => gateway.running(), upstreamKey }
  const definitions = new DeploymentDefinitions({ dataDir: opts.paths.dataDir, logger })
  const monitor = new DeploymentMonitor({ docker: dockerClient, gpu, settings, logger, definitions })
  // Learned footprints (issue #16): read before the deployments are adopted; written on each load and memory failure.
  const footprintStore = new FootprintStore({ dataDir: opts.paths.dataDir, logger })
  await footprintStore.load()
  started.defer(() => footprintStore.dispose())
  const footprints = new FootprintLearner({ store: footprintStore, monitor, definitions, docker: dockerClient, gpu, logger })
  started.defer(() => footprints.dispose())
  const deployments: DeploymentService = new DeploymentService({
    docker: dockerClient,
    settings,
    jobs,
    models,
    logger,
    flags,
    definitions,
    monitor,
    stopGraceSeconds: opts.deploymentStopGraceSeconds,
    latest: latestImageResolver({ engine, jobs, docker: dockerClient, logger }),
    front,
    footprints,
    // Manual starts are admitted by the memory planner too (built below: it needs the deployments).
    admission: { admit: (id, o) => admission.admit(id, o) },
  })
  const inspector = new DeploymentInspector({ docker: dockerClient, definitions, monitor, front })
  // The memory planner admits every start, the gateway's and manual ones (evicting idle models, refusing with what
  // holds the memory).
  const { planner, backends, admission } = createPlanner({
    gpu,
    deployments,
    models,
    footprints: footprintStore,
    gateway: () => gateway,
    inner: deploymentBackends({
      deployments,
      settings,
      upstreamKey,
      // vLLM sleep mode for deployments that opt in (#16): the container's log gives the weights and the sleep facts.
      sleep: {
        logLines: async (id) => (await inspector.logs(id, 5000)).lines.map((l) => l.text),
        onSleepFacts: (id, facts) => footprints.recordSleep(id, facts),
        logger,
      },
    }),
    settings,
    logger,
  })
  started.defer(() => planner.dispose())
  const gateway: Gateway = new Gateway({
    backends,
    settings,
    secrets,
    logger,
    registry,
    dataDir: opts.paths.dataDir,
  })
  const deploymentSource = { list: () => deployments.list(), onChange: (fn: () => void) => deployments.onEvent(() => fn()) }
  const gatewaySource = {
    running: () => gateway.running(),
    port: () => gateway.status().port,
    key: () => gateway.webuiKey(),
    onChange: (fn: () => void) => gateway.onChange(fn),
  }
  const webui = new WebuiService({
    docker: dockerClient,
    settings,
    secrets,
    jobs,
    endpoints: modelEndpoints({ gateway: gatewaySource, deployments: deploymentSource }),
    logger,
    dataDir: opts.paths.dataDir,
  })
  // Deployments stop after the jobs that drive them.
  started.defer(() => deployments.dispose())
  started.defer(() => jobs.dispose())
  await jobs.restore()
  await deployments.init()
  // The gateway stops before the deployments it fronts; a port in use is reported, not fatal.
  started.defer(() => gateway.dispose())
  await gateway.start()
  started.defer(() => webui.dispose())
  await webui.init()
  // After the services have loaded their state, so what was already true at start is not announced.
  const notify = new NotifyService({ sources: { jobs, deployments, webui, engine }, settings, logger })
  started.defer(() => notify.dispose())
  const alwaysLatest = new AlwaysLatestRedeployer({ engine, deployments, jobs, logger })
  started.defer(() => alwaysLatest.dispose())
  started.defer(() => engine.dispose())
  await engine.start()
  started.defer(() => models.dispose())
  models.start()
  const metrics = { contentType: registry.contentType, render: () => registry.metrics() }
  const resizePools = settings.onChange((next, prev) => {
    if (next.cpuPoolSize !== prev.cpuPoolSize) cpu.resize(next.cpuPoolSize)
    if (next.ioConcurrency !== prev.ioConcurrency) io.resize(next.ioConcurrency)
  })
  started.defer(() => resizePools.dispose())

  const info: AppInfo = {
    version: opts.version,
    mode: opts.mode,
    platform: process.platform,
    node: process.versions.node,
    dataDir: opts.paths.dataDir,
    configDir: opts.paths.configDir,
  }
  const router = createRouter({
    info,
    settings,
    pools: () => ({ at: new Date().toISOString(), pools: [cpu.stats(), io.stats()] }),
    gpu,
    host,
    jobs,
    models,
    engine,
    deployments,
    deploymentInspector: inspector,
    flags,
    webui,
    gateway,
    notify,
    planner,
  })

  let disposed: Promise<void> | undefined
  const dispose = (): Promise<void> =>
    (disposed ??= (async () => {
      await started.dispose()
      logger.info('core disposed')
      logger.flush()
    })())

  await opts.afterInit?.()
  logger.info({ mode: opts.mode, version: opts.version, paths: opts.paths }, 'core started')
  return {
    router,
    logger,
    settings,
    cpu,
    io,
    gpu,
    jobs,
    models,
    engine,
    deployments,
    webui,
    gateway,
    notify,
    footprints: footprintStore,
    planner,
    metrics,
    dispose,
  }
}
