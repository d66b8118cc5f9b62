import type Dockerode from 'dockerode'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { DeploymentDefinition, Diagnosis } from '../../../shared/contract/deployments'
import { sizeBytes } from '../../../shared/settings'
import { dockerUnreachable } from '../docker/errors'
import { repoDigest } from '../docker/image-ref'
import { freePort, portFree } from '../docker/net'
import { portInUseText } from '../docker/port-holder'
import { AppError } from '../errors'
import { toArgv, validateArgs } from '../engine/flags-service'
import { JobStop, type JobContext } from '../jobs/job-service'
import { containerSpec } from './container-spec'
import type { FlagCatalogService } from '../engine/flags-service'
import type { JobService } from '../jobs/job-service'
import type { ModelService } from '../models/model-service'
import type { SettingsService } from '../settings/settings-service'
import { containersOf } from './container-spec'
import type { DeploymentDefinitions } from './definitions'
import type { DeploymentMonitor } from './deployment-monitor'
import { endpointOf, publishedAt } from './published'
import type { DeploymentFootprints } from './footprint-learner'
import { diagnose } from './log-analysis'
import type { Runtime } from './runtime'
import { sleepModeProblem, withSleepMode } from './sleep-mode'
import { admitManual, StartOverride, type Admitted, type StartAdmission } from './start-admission'

export { StartOverride, type StartAdmission } from './start-admission'

/** What the deployment jobs need, and nothing more (wired by the deployment service). */
export interface JobDeps {
  docker: () => Dockerode
  jobs: Pick<JobService, 'register'>
  models: Pick<ModelService, 'list'>
  settings: Pick<SettingsService, 'get'>
  logger: Logger
  flags: Pick<FlagCatalogService, 'forImage'>
  definitions: Pick<DeploymentDefinitions, 'get' | 'markStopped'>
  monitor: Pick<DeploymentMonitor, 'runtime' | 'follow' | 'onChange'>
  /** Seconds between SIGTERM and SIGKILL on stop. */
  stopGraceSeconds: number
  /** The image an always-latest deployment should run now (pulled); absent = deploy as saved. */
  latest?: LatestImageResolver
  /** The gateway in front: while it runs, containers publish on loopback only and need its key. */
  front?: GatewayFront
  /** The footprint learner: after a failed start, raises the footprint and says whether to retry once. */
  footprints?: Pick<DeploymentFootprints, 'afterFailedStart'>
  /** The memory planner's admission of a start that did not come through it; absent = started as configured. */
  admission?: StartAdmission
  moveToImage(id: string, image: string): Promise<void>
  recordImageDigest(id: string, digest: string | null): Promise<void>
  forget(id: string): Promise<void>
}

/** What the deployments need of a gateway in front of them (create-core adapts the gateway to it). */
export interface GatewayFront {
  /** Whether the gateway is serving now: new containers then publish on 127.0.0.1 only. */
  active(): boolean
  /** The generated vLLM --api-key of a deployment (the gateway injects it upstream). */
  upstreamKey(id: string): string
}

/** The key a deployment's container is started with and called with: the user's own, else the gateway's. */
export function apiKeyOf(def: DeploymentDefinition, front: GatewayFront | undefined): { key?: string; own: boolean } {
  const first = (v: unknown): string | undefined =>
    Array.isArray(v) ? (v[0] as string | undefined) : typeof v === 'string' ? v.split(/\s+/)[0] : undefined
  const own = first(def.args['--api-key']) ?? def.env.VLLM_API_KEY
  return own ? { key: own, own: true } : { key: front?.upstreamKey(def.id), own: false }
}

/** Implemented by the engine (versions service): the newest release for an always-latest deployment, pulled. */
export interface LatestImageResolver {
  resolve(o: {
    name: string
    image: string
    signal: AbortSignal
    onProgress?: (message: string) => void
  }): Promise<
    | { kind: 'current'; image: string }
    | { kind: 'newer'; image: string; from: string }
    | { kind: 'unavailable'; image: string; reason: string }
  >
}

/** `override` present: the planner admitted this start (the gateway's); absent: a manual start, admitted by the job. */
const Params = z.object({ id: z.string(), restart: z.boolean().optional(), override: StartOverride.optional() })
type Params = z.infer<typeof Params>

const failure = (reason: string, hint: string): Diagnosis => ({ kind: 'exited', reason, hint, lines: [], exitCode: null })

/** Stop every running container of the deployment: SIGTERM, the grace period, then SIGKILL (docker stop). */
async function stopContainers(d: JobDeps, rt: Runtime, id: string): Promise<void> {
  const grace = d.stopGraceSeconds
  for (const c of await containersOf(d.docker(), id)) {
    if (c.State !== 'running' && c.State !== 'restarting' && c.State !== 'paused') continue
    rt.expectExit()
    await d
      .docker()
      .getContainer(c.Id)
      .stop({ t: grace })
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304 && err.statusCode !== 404) throw err
      })
    // Remembered across app restarts: the exit code of a stop (137 after SIGKILL) then reads as a stop, not a failure.
    await d.definitions.markStopped(id, c.Id)
  }
}

/** Resolve the model in the store: which location, which commit. */
async function resolveModel(d: JobDeps, repo: string, revision: string): Promise<{ location: string; commit: string }> {
  const m = (await d.models.list()).find((x) => x.repo === repo)
  if (!m) throw new AppError('NOT_FOUND', `${repo} is not in the model store.`, { fix: 'Pull it on the Models page, then deploy.' })
  const rev = m.revisions.find((r) => r.commit === revision || r.refs.includes(revision))
  if (!rev)
    throw new AppError('NOT_FOUND', `${repo} has no local revision "${revision}".`, {
      fix: `Pull ${repo} at ${revision}, or choose one of: ${m.revisions.flatMap((r) => (r.refs.length ? r.refs : [r.commit.slice(0, 12)])).join(', ')}.`,
    })
  return { location: m.location, commit: rev.commit }
}

/** An always-latest deployment is moved to the newest release (when newer) before its container is created. */
async function followLatest(d: JobDeps, ctx: JobContext<Params>): Promise<void> {
  const def = d.definitions.get(ctx.params.id)
  if (!def.alwaysLatest || !d.latest) return
  ctx.progress({ message: 'Resolving the newest release' })
  const onProgress = (message: string): void => ctx.progress({ message })
  const r = await d.latest.resolve({ name: def.name, image: def.image, signal: ctx.signal, onProgress })
  if (r.kind === 'unavailable') ctx.progress({ message: `Newest release unknown (${r.reason}); deploying ${def.image}` })
  if (r.kind !== 'newer') return
  try {
    await d.moveToImage(def.id, r.image)
  } catch (err) {
    // e.g. the new release refuses the deployment's arguments: keep the current image, say why.
    d.logger.warn({ err, deployment: def.name, image: r.image }, 'always-latest: staying on the current image')
    ctx.progress({ message: `Staying on ${def.image}: ${(err as Error).message}` })
  }
}

async function deploy(d: JobDeps, ctx: JobContext<Params>): Promise<{ state: string; endpoint: string }> {
  const { id } = ctx.params
  const rt = d.monitor.runtime(id)
  const docker = d.docker()
  let cid: string | null = null
  let admitted: Admitted | null = null
  await rt.operate(async () => {
    try {
      // Always latest: move onto the newest release (pulled) before a running container is stopped.
      await followLatest(d, ctx)
      if (ctx.params.restart) {
        ctx.progress({ message: 'Stopping' })
        rt.setState('stopping')
        await stopContainers(d, rt, id)
      }
      const existing = await containersOf(d.docker(), id)
      const running = existing.find((c) => c.State === 'running' || c.State === 'restarting')
      if (running)
        throw new AppError('CONFLICT', `Its container ${running.Names[0]?.slice(1) ?? running.Id.slice(0, 12)} is already running.`, {
          fix: 'Stop it first, or use restart.',
        })
      const saved = d.definitions.get(id)
      admitted = await admitManual(d.admission, { ...ctx.params, name: saved.name, signal: ctx.signal, progress: ctx.progress }, rt)
      const o = ctx.params.override ?? admitted?.override
      const def = o ? { ...saved, gpus: o.gpus ?? saved.gpus, args: { ...saved.args, ...o.args } } : saved
      rt.clearExpectedExit()
      rt.setState('creating', { containerId: null, hostPort: null, endpoint: null, listen: null, networkUrls: [] })
      ctx.progress({ message: 'Checking the image and arguments' })
      let image
      try {
        image = await docker.getImage(def.image).inspect()
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404)
          throw new AppError('NOT_FOUND', `The image ${def.image} is not pulled.`, {
            fix: 'Pull it on the vLLM versions page (or pick a pulled one), then deploy.',
          })
        throw dockerUnreachable(err)
      }
      await d.recordImageDigest(id, repoDigest(image.RepoDigests, def.image))
      const catalog = await d.flags.forImage(def.image, ctx.signal)
      const sleepProblem = sleepModeProblem(def, {
        listen: d.front?.active() ? '127.0.0.1' : d.settings.get().listenInterface,
        flags: catalog.flags,
      })
      if (sleepProblem) throw sleepProblem
      const problems = validateArgs(catalog.flags, def.args, def.extraArgs, def.image)
      if (problems.length)
        throw new AppError('BAD_REQUEST', `Arguments rejected by ${def.image}: ${problems.map((p) => p.message).join(' ')}`, {
          fix: 'Edit the deployment: remove or correct the named flags.',
        })
      const model = await resolveModel(d, def.model.repo, def.model.revision)
      for (const c of existing)
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined)
      // Behind the gateway the only way in is the gateway: loopback, and the gateway's key unless the user set one.
      const gated = d.front?.active() ?? false
      const iface = gated ? '127.0.0.1' : d.settings.get().listenInterface
      const upstream = apiKeyOf(def, d.front)
      const env = gated && !upstream.own && upstream.key ? { ...def.env, VLLM_API_KEY: upstream.key } : def.env
      let hostPort = def.hostPort
      if (hostPort && !(await portFree(iface, hostPort)))
        throw new AppError('CONFLICT', await portInUseText(iface, hostPort), {
          fix: 'Choose another host port, or leave it empty for a free one.',
        })
      hostPort ??= await freePort(iface)
      ctx.progress({ message: 'Creating the container' })
      const run = withSleepMode({ ...def, env })
      const spec = containerSpec({
        def: run,
        argv: toArgv(catalog.flags, run.args, def.extraArgs),
        storePath: model.location,
        commit: model.commit,
        hostPort,
        listenInterface: iface,
        imageHasHealthcheck: !!image.Config?.Healthcheck?.Test?.length,
        shmSizeBytes: sizeBytes(d.settings.get().vllmShmSize),
      })
      const container = await docker.createContainer(spec)
      cid = container.id
      rt.patch({ containerId: cid, hostPort, ...publishedAt(iface, hostPort), commit: model.commit })
      rt.replaceLines([])
      rt.setState('starting')
      ctx.progress({ message: 'Starting' })
      try {
        await container.start()
        // Follow from the first line once it runs (a log request on a created container ends at once).
        d.monitor.follow(rt, cid)
        admitted?.settle(true)
      } catch (err) {
        const msg = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message
        rt.fail(diagnose([msg], null, { args: def.args, extraArgs: def.extraArgs }))
        throw new AppError('UNAVAILABLE', `Docker could not start the container: ${msg}`, {
          fix: rt.status.diagnosis?.hint ?? 'Check the GPU setup on the System page.',
        })
      }
    } catch (err) {
      admitted?.settle(false)
      if (rt.state === 'creating' || rt.state === 'stopping') {
        const e = err as AppError
        rt.fail(failure(e.message, (e.data as { fix?: string } | undefined)?.fix ?? 'Read the log.'))
      }
      throw err
    }
  })
  // The container runs: follow the state machine until ready, failed or stopped.
  const iface = rt.status.listen ?? d.settings.get().listenInterface
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const st = rt.status
      if (st.containerId !== cid && st.state !== 'failed')
        return finish(() =>
          reject(new AppError('CONFLICT', 'Another operation replaced the container.', { fix: 'See the deployment status.' })),
        )
      const endpoint = st.endpoint ?? endpointOf(iface, st.hostPort ?? 0)
      if (st.state === 'ready') return finish(() => resolve({ state: 'ready', endpoint }))
      if (st.state === 'failed')
        return finish(() =>
          reject(
            new AppError('UNAVAILABLE', st.diagnosis?.reason ?? 'The deployment failed.', {
              fix: st.diagnosis?.fix
                ? `${st.diagnosis.hint} (one-click fix: ${st.diagnosis.fix.label})`
                : (st.diagnosis?.hint ?? 'Read the log.'),
            }),
          ),
        )
      if (st.state === 'stopped')
        return finish(() => reject(new AppError('CONFLICT', 'It was stopped before it became ready.', { fix: 'Start it again.' })))
      ctx.progress({
        message: st.phase ? `Loading: ${st.phase}` : st.state,
        bytesDone: Math.round((st.progress ?? 0) * 100),
        bytesTotal: 100,
      })
      return false
    }
    const sub = d.monitor.onChange((r) => r.id === id && check())
    const onAbort = (): void => {
      finish(() => reject(ctx.signal.reason))
      // The app shutting down leaves the container running (it is adopted at the next start).
      if (ctx.signal.reason instanceof JobStop && ctx.signal.reason.why === 'shutdown') return
      // Cancelling a deploy stops what it started.
      rt.expectExit()
      rt.setState('stopping')
      void stopContainers(d, rt, id).then(
        () => rt.state === 'stopping' && rt.setState('stopped'),
        () => undefined,
      )
    }
    ctx.signal.addEventListener('abort', onAbort)
    function finish(fn: () => void): true {
      sub.dispose()
      ctx.signal.removeEventListener('abort', onAbort)
      fn()
      return true
    }
    // Cancelled while the container was being created: stop what was started.
    if (ctx.signal.aborted) onAbort()
    else check()
  })
}

/**
 * A deploy, retried once when the start failed for memory (issue #16 point 8): the learner raised the footprint, the
 * job log and the diagnosis say so, and the second start uses the new numbers. Only once per start request.
 */
async function deployRetried(d: JobDeps, ctx: JobContext<Params>): Promise<{ state: string; endpoint: string }> {
  try {
    return await deploy(d, ctx)
  } catch (err) {
    const first = await d.footprints?.afterFailedStart(ctx.params.id, 0).catch(() => undefined)
    if (!first?.retry || ctx.signal.aborted) throw err
    ctx.progress({ message: first.note ?? 'Retrying once' })
    d.logger.info({ deployment: ctx.params.id, note: first.note }, 'retrying a start that failed for memory')
    try {
      return await deploy(d, { ...ctx, params: { ...ctx.params, restart: false } })
    } catch (again) {
      const second = await d.footprints?.afterFailedStart(ctx.params.id, 1).catch(() => undefined)
      if (second?.note) ctx.progress({ message: second.note })
      throw again
    }
  }
}

async function stop(d: JobDeps, ctx: JobContext<Params>): Promise<{ state: string }> {
  const { id } = ctx.params
  d.definitions.get(id)
  const rt = d.monitor.runtime(id)
  return rt.operate(async () => {
    ctx.progress({ message: 'Stopping (SIGTERM, then SIGKILL after the grace period)' })
    rt.expectExit()
    rt.setState('stopping')
    await stopContainers(d, rt, id)
    rt.clearExpectedExit()
    rt.setState('stopped')
    return { state: 'stopped' }
  })
}

async function remove(d: JobDeps, ctx: JobContext<Params>): Promise<{ state: string }> {
  const { id } = ctx.params
  d.definitions.get(id)
  const rt = d.monitor.runtime(id)
  // Known to have no container (stopped, none recorded): Docker being down does not keep the definition; a container
  // we could not see shows up as an orphan (listed, removable) once Docker answers again.
  const idle = (rt.state === 'stopped' || rt.state === 'failed') && !rt.status.containerId
  await rt.operate(async () => {
    ctx.progress({ message: 'Stopping and removing the container' })
    rt.expectExit()
    if (rt.state !== 'stopped' && rt.state !== 'failed') rt.setState('stopping')
    try {
      await stopContainers(d, rt, id)
      for (const c of await containersOf(d.docker(), id))
        await d
          .docker()
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined)
    } catch (err) {
      const unreachable = (err as { statusCode?: number }).statusCode === undefined
      if (!idle || !unreachable) throw err
      d.logger.warn({ err, deployment: id }, 'deleting a stopped deployment while Docker is not reachable')
      ctx.progress({
        message: `${dockerUnreachable(err).message} — deleting the definition; a leftover container will be listed as an orphan.`,
      })
    }
  })
  await d.forget(id)
  return { state: 'deleted' }
}

export function registerDeploymentJobs(d: JobDeps): void {
  d.jobs.register({ kind: 'deployment.deploy', params: Params, persistent: false, pausable: false, run: (ctx) => deployRetried(d, ctx) })
  d.jobs.register({ kind: 'deployment.stop', params: Params, persistent: false, pausable: false, run: (ctx) => stop(d, ctx) })
  d.jobs.register({ kind: 'deployment.delete', params: Params, persistent: false, pausable: false, run: (ctx) => remove(d, ctx) })
}
