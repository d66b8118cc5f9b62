import { randomUUID } from 'node:crypto'
import type Dockerode from 'dockerode'
import { z } from 'zod'
import { dockerUnreachable } from '../docker/errors'
import { demuxText } from '../docker/frames'
import { pullImage, PullProgress, PullRequestError } from '../docker/pull'
import { AppError } from '../errors'
import { httpUrl } from '../docker/net'
import type { Logger } from 'pino'
import type { Settings } from '../../../shared/settings'
import type { JobContext, JobService } from '../jobs/job-service'
import { AdminApiError, WebuiAdminClient } from './webui-admin'
import { assertPortFree, findWebuiContainer, localWebuiUrl, webuiVolumeId } from './webui-docker'
import { ADMIN_EMAIL, ADMIN_NAME, WEBUI_CONTAINER, WEBUI_LABEL, WEBUI_SETUP_CONTAINER, WEBUI_VOLUME } from './webui-spec'
import { webuiContainerSpec, type ModelEndpoint } from './webui-spec'
import type { WebuiStore } from './webui-store'
import type { ConnectionSync } from './webui-sync'

/** What the Open WebUI jobs need of the service that launches them. */
export interface WebuiJobDeps {
  docker: () => Dockerode
  settings: () => Settings
  logger: Logger
  endpoints: () => ModelEndpoint[]
  store: WebuiStore
  sync: Pick<ConnectionSync, 'run' | 'reset' | 'current'>
  /** Shows `state` instead of Docker's view while the job moves the container, and publishes it. */
  show(state: 'creating' | 'stopping'): void
  /** Back to Docker's view: ends what `show` showed, re-reads Docker and publishes the status. */
  settle(): Promise<void>
}

const DeployParams = z.object({ port: z.number().int(), tag: z.string() })
const UpdateParams = z.object({ tag: z.string() })
const DeleteParams = z.object({ data: z.boolean() })
const None = z.object({})

const HEALTHY_TIMEOUT_MS = 15 * 60_000
const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode
const dockerMessage = (err: unknown): string => (err as { json?: { message?: string } }).json?.message ?? (err as Error).message

/** Last lines of the container's log (multiplexed frames → text). */
async function logTail(c: Dockerode.Container, lines = 15): Promise<string> {
  try {
    const buf = (await c.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer
    return demuxText(buf).trim().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

/** Pull the image when it is not here (progress by layer bytes). */
async function ensureImage(d: WebuiJobDeps, ref: string, ctx: JobContext<unknown>): Promise<void> {
  const docker = d.docker()
  try {
    await docker.getImage(ref).inspect()
    return
  } catch (err) {
    if (statusOf(err) !== 404) throw dockerUnreachable(err)
  }
  ctx.progress({ message: `Pulling ${ref}` })
  const progress = new PullProgress()
  let failure: string | undefined
  try {
    failure = await pullImage(docker, ref, {
      signal: ctx.signal,
      progress,
      onEvent: () => {
        const { bytesDone, bytesTotal } = progress.snapshot()
        ctx.progress({ bytesDone, bytesTotal, message: `Pulling ${ref}` })
      },
    })
  } catch (err) {
    failure = err instanceof PullRequestError ? err.reason : dockerMessage(err)
  }
  const fix = 'Check the tag and the network, or pull the image by hand (docker pull), then deploy again.'
  if (failure) throw new AppError('UNAVAILABLE', `Could not pull ${ref}: ${failure}`, { fix })
}

/** Start, mapping "port is already allocated" to a clear CONFLICT naming the port. */
async function startContainer(c: Dockerode.Container, port: number): Promise<void> {
  try {
    await c.start()
  } catch (err) {
    const msg = dockerMessage(err)
    if (/port is already allocated|address already in use/i.test(msg))
      throw new AppError('CONFLICT', `Port ${port} is in use: ${msg}`, {
        fix: `Choose another port for Open WebUI, or stop what listens on port ${port}.`,
        fields: { port: `port ${port} is in use` },
      })
    throw new AppError('UNAVAILABLE', `Docker could not start Open WebUI: ${msg}`, {
      fix: 'Read the message above; check Docker on the System page.',
    })
  }
}

async function healthOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })
    return res.ok && ((await res.json()) as { status?: unknown }).status === true
  } catch {
    return false
  }
}

/** Until Docker reports the container healthy (/health at `url`), or it exits. The status is not refreshed here. */
async function waitHealthy(d: WebuiJobDeps, c: Dockerode.Container, ctx: JobContext<unknown>, url: string): Promise<void> {
  ctx.progress({ message: 'Waiting for Open WebUI to become healthy' })
  const deadline = Date.now() + HEALTHY_TIMEOUT_MS
  for (;;) {
    ctx.signal.throwIfAborted()
    const info = await c.inspect()
    if (info.State.Status === 'exited' || info.State.Status === 'dead') {
      throw new AppError(
        'UNAVAILABLE',
        `Open WebUI exited with code ${info.State.ExitCode} during start-up.${(await logTail(c)).replace(/^/, '\n') || ''}`,
        { fix: 'Read the log lines above; try another tag.' },
      )
    }
    if (info.State.Health?.Status === 'healthy') break
    // The real image checks every 30 s: our own GET /health ends the wait as soon as Open WebUI answers.
    if (info.State.Status === 'running' && (await healthOk(url))) break
    if (Date.now() > deadline)
      throw new AppError('UNAVAILABLE', `Open WebUI did not become healthy within ${HEALTHY_TIMEOUT_MS / 60_000} minutes.`, {
        fix: 'Read its log (docker logs inferadmin-open-webui).',
      })
    await new Promise((r) => setTimeout(r, 300))
  }
}

/** A setup container left behind by a crash mid-deploy (ours by its label; another one of that name is left alone). */
async function removeSetupLeftover(d: WebuiJobDeps): Promise<void> {
  const docker = d.docker()
  const info = await docker
    .getContainer(WEBUI_SETUP_CONTAINER)
    .inspect()
    .catch(() => undefined)
  if (info?.Config.Labels?.[WEBUI_LABEL.kind] === 'webui-setup') await docker.getContainer(info.Id).remove({ force: true })
}

/** Does publishing need the loopback-only first start (a new data volume, or one not known to hold accounts)? */
async function needsFirstAdmin(d: WebuiJobDeps, createdVolume: boolean): Promise<boolean> {
  const id = await webuiVolumeId(d.docker())
  return createdVolume || !id || d.store.record.accountsVolume !== id
}

/**
 * Open WebUI makes whoever signs up first its admin. So a data volume without accounts is first started in a
 * setup container published on 127.0.0.1 only (a port Docker picks), InferAdmin signs its account up there
 * (Open WebUI then closes sign-up itself), and only after that is the real container published on the listen
 * interface: at no time can a client on the network sign up first. The setup container is always removed.
 */
async function createFirstAdmin(d: WebuiJobDeps, tag: string, ctx: JobContext<unknown>): Promise<void> {
  const docker = d.docker()
  ctx.progress({ message: "Creating InferAdmin's admin account (Open WebUI reachable from this machine only)" })
  await removeSetupLeftover(d)
  const s = d.settings()
  const secretKey = d.store.secret('webuiSecretKey')
  const endpoints = d.endpoints()
  const spec = { image: s.webuiImage, tag, hostPort: 0, listenInterface: '127.0.0.1', secretKey, endpoints, setup: true }
  let c: Dockerode.Container
  try {
    c = await docker.createContainer(webuiContainerSpec(spec))
  } catch (err) {
    const fix = 'Read the message above; check Docker on the System page.'
    throw new AppError('UNAVAILABLE', `Docker could not create Open WebUI's setup container: ${dockerMessage(err)}`, { fix })
  }
  try {
    await startContainer(c, 0)
    const port = (await c.inspect()).NetworkSettings.Ports?.['8080/tcp']?.[0]?.HostPort
    const checkDocker = 'Check Docker on the System page, then deploy again.'
    if (!port) throw new AppError('UNAVAILABLE', 'Docker did not publish the setup container on 127.0.0.1.', { fix: checkDocker })
    const url = httpUrl('127.0.0.1', Number(port))
    await waitHealthy(d, c, ctx, url)
    const admin = new WebuiAdminClient(url, { email: ADMIN_EMAIL, name: ADMIN_NAME, password: d.store.secret('webuiAdminPassword') })
    try {
      await admin.login(ctx.signal)
    } catch (err) {
      const e = err as AdminApiError
      // 400/401/403: the data already has accounts (not ours, or ours changed by hand): sign-up cannot make a
      // stranger admin any more, so publishing is safe; the status reports the admin problem after the start.
      if (!(e instanceof AdminApiError) || e.status === null || ![400, 401, 403].includes(e.status)) {
        const tail = await logTail(c)
        const message = `InferAdmin could not create its admin account in Open WebUI: ${e.message}${tail ? `\n${tail}` : ''}`
        const fix = 'Open WebUI stays unpublished until it has its admin. Read the lines above, then deploy again.'
        throw new AppError('UNAVAILABLE', message, { fix })
      }
      d.logger.warn({ err: e.message }, "Open WebUI already has accounts that are not InferAdmin's admin")
    }
    await d.store.save({ accountsVolume: (await webuiVolumeId(d.docker())) || null })
  } finally {
    await c.stop({ t: 10 }).catch(() => undefined)
    await c.remove({ force: true }).catch(() => undefined)
  }
}

/** After healthy: the status says so, then the connections. A failed sync is shown in the status, the job still succeeds. */
async function afterHealthy(d: WebuiJobDeps, ctx: JobContext<unknown>, url: string): Promise<{ url: string; sync: string }> {
  await d.settle()
  ctx.progress({ message: 'Writing the model connections' })
  await d.sync.run(ctx.signal).catch((err: Error) => d.logger.warn({ err: err.message }, 'webui sync after start failed'))
  return { url: `${url}/`, sync: d.sync.current().state }
}

async function createAndStart(d: WebuiJobDeps, tag: string, port: number): Promise<Dockerode.Container> {
  const s = d.settings()
  let c: Dockerode.Container
  try {
    c = await d.docker().createContainer(
      webuiContainerSpec({
        image: s.webuiImage,
        tag,
        hostPort: port,
        listenInterface: s.listenInterface,
        secretKey: d.store.secret('webuiSecretKey'),
        endpoints: d.endpoints(),
      }),
    )
  } catch (err) {
    if (statusOf(err) === 409)
      throw new AppError('CONFLICT', `A container named ${WEBUI_CONTAINER} exists that InferAdmin did not create.`, {
        fix: `Remove or rename it (docker rm ${WEBUI_CONTAINER}), then deploy again.`,
      })
    throw new AppError('UNAVAILABLE', `Docker could not create Open WebUI: ${dockerMessage(err)}`, {
      fix: 'Read the message above; check Docker on the System page.',
    })
  }
  try {
    await startContainer(c, port)
  } catch (err) {
    await c.remove({ force: true }).catch(() => undefined)
    throw err
  }
  return c
}

async function deploy(d: WebuiJobDeps, ctx: JobContext<z.infer<typeof DeployParams>>): Promise<{ url: string; sync: string }> {
  const { port, tag } = ctx.params
  const docker = d.docker()
  let createdVolume = false
  let c: Dockerode.Container | undefined
  const url = localWebuiUrl(d.settings().listenInterface, port)
  d.show('creating')
  try {
    await ensureImage(d, `${d.settings().webuiImage}:${tag}`, ctx)
    await assertPortFree(d.settings().listenInterface, port)
    d.store.secret('webuiAdminPassword')
    if ((await webuiVolumeId(docker)) === null) {
      const labels = { [WEBUI_LABEL.managed]: 'true', [WEBUI_LABEL.kind]: 'webui', [WEBUI_LABEL.volumeId]: randomUUID() }
      await docker.createVolume({ Name: WEBUI_VOLUME, Labels: labels })
      createdVolume = true
    }
    if (await needsFirstAdmin(d, createdVolume)) await createFirstAdmin(d, tag, ctx)
    ctx.progress({ message: 'Creating the container' })
    c = await createAndStart(d, tag, port)
    // A new volume is a fresh install: its first sync owns the whole connection list.
    await d.store.save({ tag, port, ...(createdVolume ? { fresh: true, managedUrls: [] } : {}) })
    await d.settle()
    await waitHealthy(d, c, ctx, url)
  } catch (err) {
    // Nothing half-created: the container, and the volume if this deploy made it.
    if (c) await c.remove({ force: true }).catch(() => undefined)
    if (createdVolume)
      await docker
        .getVolume(WEBUI_VOLUME)
        .remove()
        .catch(() => undefined)
    throw err
  } finally {
    await d.settle()
  }
  return afterHealthy(d, ctx, url)
}

async function start(d: WebuiJobDeps, ctx: JobContext<unknown>): Promise<{ url: string; sync: string }> {
  const info = await findWebuiContainer(d.docker())
  if (!info) throw new AppError('NOT_FOUND', 'Open WebUI is not deployed.', { fix: 'Deploy it first.' })
  const c = d.docker().getContainer(info.Id)
  const port = Number(info.Labels[WEBUI_LABEL.port] ?? d.settings().webuiPort)
  const url = localWebuiUrl(d.settings().listenInterface, port)
  await startContainer(c, port)
  await d.settle()
  await waitHealthy(d, c, ctx, url)
  return afterHealthy(d, ctx, url)
}

async function stop(d: WebuiJobDeps): Promise<void> {
  const info = await findWebuiContainer(d.docker())
  if (!info) return
  d.show('stopping')
  try {
    await d
      .docker()
      .getContainer(info.Id)
      .stop({ t: 10 })
      .catch((err) => {
        if (statusOf(err) !== 304 && statusOf(err) !== 404) throw err
      })
  } finally {
    await d.settle()
  }
}

async function update(d: WebuiJobDeps, ctx: JobContext<z.infer<typeof UpdateParams>>): Promise<{ url: string; sync: string }> {
  const info = await findWebuiContainer(d.docker())
  if (!info) throw new AppError('NOT_FOUND', 'Open WebUI is not deployed.', { fix: 'Deploy it first.' })
  const oldTag = info.Labels[WEBUI_LABEL.tag] ?? 'main'
  const port = Number(info.Labels[WEBUI_LABEL.port] ?? d.settings().webuiPort)
  const url = localWebuiUrl(d.settings().listenInterface, port)
  await ensureImage(d, `${d.settings().webuiImage}:${ctx.params.tag}`, ctx)
  ctx.progress({ message: `Replacing ${oldTag} with ${ctx.params.tag} (the data volume stays)` })
  await stop(d)
  await d.docker().getContainer(info.Id).remove({ force: true })
  let c: Dockerode.Container
  try {
    if (await needsFirstAdmin(d, false)) await createFirstAdmin(d, ctx.params.tag, ctx)
    c = await createAndStart(d, ctx.params.tag, port)
  } catch (err) {
    await createAndStart(d, oldTag, port).catch(() => undefined)
    await d.settle()
    throw err
  }
  await d.store.save({ tag: ctx.params.tag, port })
  await d.settle()
  await waitHealthy(d, c, ctx, url)
  return afterHealthy(d, ctx, url)
}

async function remove(d: WebuiJobDeps, ctx: JobContext<z.infer<typeof DeleteParams>>): Promise<{ volumeRemoved: boolean }> {
  const info = await findWebuiContainer(d.docker())
  if (info) await d.docker().getContainer(info.Id).remove({ force: true })
  // A setup container left by a crash mid-deploy would hold the volume.
  await removeSetupLeftover(d)
  let volumeRemoved = false
  if (ctx.params.data && (await webuiVolumeId(d.docker())) !== null) {
    await d.docker().getVolume(WEBUI_VOLUME).remove()
    volumeRemoved = true
    await d.store.save({ managedUrls: [], fresh: false, accountsVolume: null })
  }
  d.sync.reset()
  await d.settle()
  return { volumeRemoved }
}

/** The Open WebUI job kinds (deploy, start, stop, update, delete), run against `d`. */
export function registerWebuiJobs(jobs: Pick<JobService, 'register'>, d: WebuiJobDeps): void {
  jobs.register({ kind: 'webui.deploy', params: DeployParams, persistent: false, pausable: false, run: (ctx) => deploy(d, ctx) })
  jobs.register({ kind: 'webui.start', params: None, persistent: false, pausable: false, run: (ctx) => start(d, ctx) })
  jobs.register({ kind: 'webui.stop', params: None, persistent: false, pausable: false, run: () => stop(d) })
  jobs.register({ kind: 'webui.update', params: UpdateParams, persistent: false, pausable: false, run: (ctx) => update(d, ctx) })
  jobs.register({ kind: 'webui.delete', params: DeleteParams, persistent: false, pausable: false, run: (ctx) => remove(d, ctx) })
}
