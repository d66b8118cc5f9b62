import { z } from 'zod'
import type { Diagnosis } from '../../../shared/contract/deployments'
import { sizeBytes } from '../../../shared/settings'
import { dockerUnreachable } from '../docker/errors'
import { repoDigest } from '../docker/image-ref'
import { freePort, portFree } from '../docker/net'
import { AppError } from '../errors'
import { toArgv, validateArgs } from '../engine/flags-validate'
import { JobStop, type JobContext } from '../jobs/job-service'
import { containerSpec } from './container-spec'
import type { DeploymentService } from './deployment-service'
import { endpointOf } from './deployment-monitor'
import { resolveLatestImage } from './latest-release'
import { diagnose } from './log-analysis'
import type { Runtime } from './runtime'

const Params = z.object({ id: z.string(), restart: z.boolean().optional() })
type Params = z.infer<typeof Params>

const failure = (reason: string, hint: string): Diagnosis => ({ kind: 'exited', reason, hint, lines: [], exitCode: null })

/** Stop every running container of the deployment: SIGTERM, the grace period, then SIGKILL (docker stop). */
async function stopContainers(svc: DeploymentService, rt: Runtime, id: string): Promise<void> {
  const grace = svc.o.stopGraceSeconds ?? 30
  for (const c of await svc.containersOf(id)) {
    if (c.State !== 'running' && c.State !== 'restarting' && c.State !== 'paused') continue
    rt.expectStop = true
    await svc.o
      .docker()
      .getContainer(c.Id)
      .stop({ t: grace })
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304 && err.statusCode !== 404) throw err
      })
  }
}

/** Resolve the model in the store: which location, which commit. */
async function resolveModel(svc: DeploymentService, repo: string, revision: string): Promise<{ location: string; commit: string }> {
  const m = (await svc.o.models.list()).find((x) => x.repo === repo)
  if (!m) throw new AppError('NOT_FOUND', `${repo} is not in the model store.`, { fix: 'Pull it on the Models page, then deploy.' })
  const rev = m.revisions.find((r) => r.commit === revision || r.refs.includes(revision))
  if (!rev)
    throw new AppError('NOT_FOUND', `${repo} has no local revision "${revision}".`, {
      fix: `Pull ${repo} at ${revision}, or choose one of: ${m.revisions.flatMap((r) => (r.refs.length ? r.refs : [r.commit.slice(0, 12)])).join(', ')}.`,
    })
  return { location: m.location, commit: rev.commit }
}

/** An always-latest deployment is moved to the newest release (when newer) before its container is created. */
async function followLatest(svc: DeploymentService, ctx: JobContext<Params>): Promise<void> {
  const def = svc.definition(ctx.params.id)
  const source = svc.o.releases
  if (!def.alwaysLatest || !source) return
  ctx.progress({ message: 'Resolving the newest release' })
  const onProgress = (message: string): void => ctx.progress({ message })
  const r = await resolveLatestImage({ source, logger: svc.o.logger, name: def.name, image: def.image, signal: ctx.signal, onProgress })
  if (r.kind === 'unavailable') ctx.progress({ message: `Newest release unknown (${r.reason}); deploying ${def.image}` })
  if (r.kind !== 'newer') return
  try {
    await svc.moveToImage(def.id, r.image)
  } catch (err) {
    // e.g. the new release refuses the deployment's arguments: keep the current image, say why.
    svc.o.logger.warn({ err, deployment: def.name, image: r.image }, 'always-latest: staying on the current image')
    ctx.progress({ message: `Staying on ${def.image}: ${(err as Error).message}` })
  }
}

async function deploy(svc: DeploymentService, ctx: JobContext<Params>): Promise<{ state: string; endpoint: string }> {
  const { id } = ctx.params
  const rt = svc.monitor.runtime(id)
  const docker = svc.o.docker()
  rt.busy++
  let cid: string | null = null
  try {
    // Always latest: move onto the newest release (pulled) before a running container is stopped.
    await followLatest(svc, ctx)
    if (ctx.params.restart) {
      ctx.progress({ message: 'Stopping' })
      rt.setState('stopping')
      await stopContainers(svc, rt, id)
    }
    const existing = await svc.containersOf(id)
    const running = existing.find((c) => c.State === 'running' || c.State === 'restarting')
    if (running)
      throw new AppError('CONFLICT', `Its container ${running.Names[0]?.slice(1) ?? running.Id.slice(0, 12)} is already running.`, {
        fix: 'Stop it first, or use restart.',
      })
    const def = svc.definition(id)
    rt.expectStop = false
    rt.setState('creating', { containerId: null, hostPort: null, endpoint: null })
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
    await svc.recordImageDigest(id, repoDigest(image.RepoDigests, def.image))
    const catalog = await svc.flags.forImage(def.image, ctx.signal)
    const problems = validateArgs(catalog.flags, def.args, def.extraArgs, def.image)
    if (problems.length)
      throw new AppError('BAD_REQUEST', `Arguments rejected by ${def.image}: ${problems.map((p) => p.message).join(' ')}`, {
        fix: 'Edit the deployment: remove or correct the named flags.',
      })
    const model = await resolveModel(svc, def.model.repo, def.model.revision)
    for (const c of existing)
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined)
    const iface = svc.o.settings.get().listenInterface
    let hostPort = def.hostPort
    if (hostPort && !(await portFree(iface, hostPort)))
      throw new AppError('CONFLICT', `Port ${hostPort} is in use on ${iface}.`, {
        fix: 'Choose another host port, or leave it empty for a free one.',
      })
    hostPort ??= await freePort(iface)
    ctx.progress({ message: 'Creating the container' })
    const spec = containerSpec({
      def,
      argv: toArgv(catalog.flags, def.args, def.extraArgs),
      storePath: model.location,
      commit: model.commit,
      hostPort,
      listenInterface: iface,
      imageHasHealthcheck: !!image.Config?.Healthcheck?.Test?.length,
      shmSizeBytes: sizeBytes(svc.o.settings.get().vllmShmSize),
    })
    const container = await docker.createContainer(spec)
    cid = container.id
    rt.patch({ containerId: cid, hostPort, endpoint: endpointOf(iface, hostPort), commit: model.commit })
    rt.lines = []
    rt.setState('starting')
    ctx.progress({ message: 'Starting' })
    try {
      await container.start()
      // Follow from the first line once it runs (a log request on a created container ends at once).
      svc.monitor.follow(rt, cid)
    } catch (err) {
      const msg = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message
      rt.fail(diagnose([msg], null, { args: def.args, extraArgs: def.extraArgs }))
      throw new AppError('UNAVAILABLE', `Docker could not start the container: ${msg}`, {
        fix: rt.status.diagnosis?.hint ?? 'Check the GPU setup on the System page.',
      })
    }
  } catch (err) {
    if (rt.state === 'creating' || rt.state === 'stopping') {
      const e = err as AppError
      rt.fail(failure(e.message, (e.data as { fix?: string } | undefined)?.fix ?? 'Read the log.'))
    }
    throw err
  } finally {
    rt.busy--
  }
  // The container runs: follow the state machine until ready, failed or stopped.
  const iface = svc.o.settings.get().listenInterface
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
    const sub = svc.onEvent((e) => e.type === 'update' && e.deployment.definition.id === id && check())
    const onAbort = (): void => {
      finish(() => reject(ctx.signal.reason))
      // The app shutting down leaves the container running (it is adopted at the next start).
      if (ctx.signal.reason instanceof JobStop && ctx.signal.reason.why === 'shutdown') return
      // Cancelling a deploy stops what it started.
      rt.expectStop = true
      rt.setState('stopping')
      void stopContainers(svc, rt, id).then(
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

async function stop(svc: DeploymentService, ctx: JobContext<Params>): Promise<{ state: string }> {
  const { id } = ctx.params
  svc.definition(id)
  const rt = svc.monitor.runtime(id)
  rt.busy++
  try {
    ctx.progress({ message: 'Stopping (SIGTERM, then SIGKILL after the grace period)' })
    rt.expectStop = true
    rt.setState('stopping')
    await stopContainers(svc, rt, id)
    rt.expectStop = false
    rt.setState('stopped')
    return { state: 'stopped' }
  } finally {
    rt.busy--
  }
}

async function remove(svc: DeploymentService, ctx: JobContext<Params>): Promise<{ state: string }> {
  const { id } = ctx.params
  svc.definition(id)
  const rt = svc.monitor.runtime(id)
  rt.busy++
  try {
    ctx.progress({ message: 'Stopping and removing the container' })
    rt.expectStop = true
    if (rt.state !== 'stopped' && rt.state !== 'failed') rt.setState('stopping')
    await stopContainers(svc, rt, id)
    for (const c of await svc.containersOf(id))
      await svc.o
        .docker()
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined)
  } finally {
    rt.busy--
  }
  await svc.forget(id)
  return { state: 'deleted' }
}

export function registerDeploymentJobs(svc: DeploymentService): void {
  svc.o.jobs.register({ kind: 'deployment.deploy', params: Params, persistent: false, pausable: false, run: (ctx) => deploy(svc, ctx) })
  svc.o.jobs.register({ kind: 'deployment.stop', params: Params, persistent: false, pausable: false, run: (ctx) => stop(svc, ctx) })
  svc.o.jobs.register({ kind: 'deployment.delete', params: Params, persistent: false, pausable: false, run: (ctx) => remove(svc, ctx) })
}
