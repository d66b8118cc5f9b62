import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Deployment, DeploymentSpecInput } from '../../src/shared/contract/deployments'
import type { TagList } from '../../src/shared/contract/engine'
import type { Job } from '../../src/shared/contract/jobs'
import { PROFILES } from '../sim/gpus/profiles.js'
import { seedModel } from '../sim/seed.js'
import { ourContainers } from '../deployments/support'
import { type App, engineSim, type EngineSim, imagePresent, push, removeLocal, startApp, testRepository, waitFor, waitJob } from './support'

// Issue 8, "always latest" against the simulated workstation: a repository of its own in the sim registry holding
// the simulated vLLM v0.21.0; newer releases are the same simulated vLLM rebuilt with a label (so each has its own
// digest and really runs). The app (in process, REST) points Settings → vLLM image repository at it.
const gpu1 = PROFILES.default!.gpus[1]!
let sim: EngineSim
let app: App
let repo: string
let remote: string
let store: string
let model: string

/** `repo:tag` built FROM the simulated vLLM with a label of its own: a distinct image (digest) that runs the same. */
async function buildRelease(docker: Docker, tag: string): Promise<void> {
  const ctx = mkdtempSync(join(tmpdir(), 'inferadmin-always-latest-'))
  try {
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${sim.simRepository}:v0.21.0\nLABEL inferadmin.test.release=${tag}\n`)
    const stream = await docker.buildImage({ context: ctx, src: ['Dockerfile'] }, { t: `${repo}:${tag}`, rm: true })
    const events = await new Promise<{ error?: string }[]>((res, rej) =>
      docker.modem.followProgress(stream, (err, out) => (err ? rej(err) : res(out as { error?: string }[]))),
    )
    const failed = events.find((e) => e.error)
    if (failed) throw new Error(`build failed: ${failed.error}`)
  } finally {
    rmSync(ctx, { recursive: true, force: true })
  }
}

/** Publish a new release in the registry (nothing of it stays local). */
async function publish(tag: string): Promise<void> {
  await buildRelease(sim.docker, tag)
  await push(sim, repo, { [tag]: tag })
  await removeLocal(sim.docker, [repo])
}

const tags = async (): Promise<TagList> => (await app.get<TagList>('/api/v1/engine/tags')).body
const deployment = async (id: string): Promise<Deployment> => (await app.get<Deployment>(`/api/v1/deployments/${id}`)).body
const registryDigest = (l: TagList, tag: string): string => {
  const d = l.releases.find((r) => r.version === tag)?.tag?.digest
  if (!d) throw new Error(`${tag} is not in the tag list: ${l.releases.map((r) => r.version).join(', ')}`)
  return d
}

async function waitReady(
  id: string,
  what: string,
  extra: (d: Deployment) => boolean = () => true,
  timeoutMs = 90_000,
): Promise<Deployment> {
  return waitFor(
    what,
    async () => {
      const d = await deployment(id)
      if (d.status.state === 'failed') throw new Error(`failed: ${JSON.stringify(d.status.diagnosis)}`)
      return d.status.state === 'ready' && extra(d) ? d : undefined
    },
    timeoutMs,
  )
}

/** Image id the deployment's running container was created from. */
async function runningImageId(id: string): Promise<string> {
  const c = (await ourContainers(sim.docker)).find((x) => x.Labels['inferadmin.deployment'] === id && x.State === 'running')
  if (!c) throw new Error(`no running container of ${id}`)
  return c.ImageID
}

async function localImageId(ref: string): Promise<string> {
  return (await sim.docker.getImage(ref).inspect()).Id
}

const spec = (name: string, tag: string): DeploymentSpecInput => ({
  name,
  model: { repo: model, revision: 'main' },
  image: `${remote}:${tag}`,
  alwaysLatest: true,
  gpus: [gpu1.uuid],
  args: { '--gpu-memory-utilization': 0.3 },
  env: { INFERADMIN_SIM_SPEED: '4' },
})

async function create(s: DeploymentSpecInput): Promise<Deployment> {
  const r = await app.send<Deployment>('POST', '/api/v1/deployments', s)
  if (r.status !== 200) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

beforeAll(async () => {
  sim = engineSim()
  for (const c of await ourContainers(sim.docker)) await sim.docker.getContainer(c.Id).remove({ force: true })
  repo = testRepository()
  remote = `${sim.registry}/${repo}`
  await sim.docker.getImage(`${sim.simRepository}:v0.21.0`).tag({ repo, tag: 'v0.21.0' })
  await push(sim, repo, { 'v0.21.0': 'v0.21.0' })
  await removeLocal(sim.docker, [repo])
  store = mkdtempSync(join(tmpdir(), 'inferadmin-always-latest-store-'))
  model = (await seedModel(store, { kind: 'chat' })).repo
  app = await startApp({
    env: { DOCKER_HOST: sim.env.DOCKER_HOST, INFERADMIN_NVIDIA_SMI: sim.env.INFERADMIN_NVIDIA_SMI },
    settings: {
      vllmImageRepository: remote,
      modelStores: [{ path: store, label: 'Default' }],
      listenInterface: '127.0.0.1',
      gpuRefreshMs: 500,
    },
  })
  await waitFor('the start-up refresh', async () => ((await tags()).newestRelease === 'v0.21.0' ? true : undefined), 20_000)
}, 180_000)

afterAll(async () => {
  await app?.stop()
  if (sim) {
    for (const c of await ourContainers(sim.docker)) await sim.docker.getContainer(c.Id).remove({ force: true })
    await removeLocal(sim.docker, [repo, remote])
  }
  if (store) rmSync(store, { recursive: true, force: true })
})

// An ordered scenario, not independent tests: each step uses the release and the deployment that the step before pushed and moved
// (starting them again for every test would add minutes to each run). Shuffled runs (npm run test:stress) keep this
// order; the files themselves still run in random order.
describe('always use the latest release', { shuffle: false }, () => {
  it('a new release pushed to the registry and refreshed: the running always-latest deployment is moved onto it, restarted, and records its digest', async () => {
    const pull = (await app.send<Job>('POST', '/api/v1/engine/pull', { tag: 'v0.21.0' })).body
    await waitJob(app, pull.id, ['done'])
    const d = await create(spec('latest-a', 'v0.21.0'))
    const id = d.definition.id
    const start = await app.send<Job>('POST', `/api/v1/deployments/${id}/start`)
    expect(start.status).toBe(200)
    const first = await waitReady(id, 'the first deploy to be ready')
    expect(first.definition.image).toBe(`${remote}:v0.21.0`)
    expect(first.definition.imageDigest).toBe(registryDigest(await tags(), 'v0.21.0'))
    expect(await runningImageId(id)).toBe(await localImageId(`${remote}:v0.21.0`))
    const firstContainer = first.status.containerId

    await publish('v0.22.0')
    expect(await imagePresent(sim.docker, `${remote}:v0.22.0`)).toBe(false)
    const refreshed = await app.send<TagList>('POST', '/api/v1/engine/tags/refresh')
    expect(refreshed.status).toBe(200)
    expect(refreshed.body.releases.map((r) => r.version)).toEqual(['v0.22.0', 'v0.21.0'])
    expect(refreshed.body.newestRelease).toBe('v0.22.0')
    const digest = registryDigest(refreshed.body, 'v0.22.0')
    expect(digest).not.toBe(first.definition.imageDigest)

    const moved = await waitReady(
      id,
      'the deployment to run v0.22.0',
      (x) => x.definition.image === `${remote}:v0.22.0` && x.status.containerId !== firstContainer && x.definition.imageDigest === digest,
    )
    expect(moved.definition.alwaysLatest).toBe(true)
    expect(moved.definition.imageDigest).toBe(digest)
    expect(await app.core.engine.localDigest(`${remote}:v0.22.0`)).toBe(digest)
    expect(await runningImageId(id)).toBe(await localImageId(`${remote}:v0.22.0`))
    const restarted = app.core.jobs.list().filter((j) => j.target === `deployment:${id}` && j.kind === 'deployment.deploy')
    expect(restarted.map((j) => j.state)).toEqual(['done', 'done'])

    const del = await app.send<Job>('DELETE', `/api/v1/deployments/${id}`)
    await waitJob(app, del.body.id, ['done'])
  }, 240_000)

  it('a deploy of an always-latest deployment saved on an older release resolves the newest one first: pulled, moved, its digest recorded', async () => {
    // No always-latest deployment exists while v0.23.0 is published, so only the deploy itself can move this one.
    await publish('v0.23.0')
    const l = (await app.send<TagList>('POST', '/api/v1/engine/tags/refresh')).body
    expect(l.newestRelease).toBe('v0.23.0')
    const digest = registryDigest(l, 'v0.23.0')
    expect(await imagePresent(sim.docker, `${remote}:v0.23.0`)).toBe(false)
    const d = await create(spec('latest-b', 'v0.21.0'))
    expect(d.definition.image).toBe(`${remote}:v0.21.0`)
    const id = d.definition.id
    const start = (await app.send<Job>('POST', `/api/v1/deployments/${id}/start`)).body
    const ready = await waitReady(id, 'the deploy onto v0.23.0')
    expect(ready.definition.image).toBe(`${remote}:v0.23.0`)
    expect(ready.definition.imageDigest).toBe(digest)
    expect(await runningImageId(id)).toBe(await localImageId(`${remote}:v0.23.0`))
    expect(
      app.core.jobs
        .list()
        .filter((j) => j.kind === 'engine.pull' && j.target === `${remote}:v0.23.0`)
        .map((j) => j.state),
    ).toEqual(['done'])
    expect((await waitJob(app, start.id, ['done'])).state).toBe('done')

    // Registry down: the restart keeps the current release (the cached list) and still deploys.
    await sim.faults({ down: true })
    try {
      const offline = (await app.send<TagList>('POST', '/api/v1/engine/tags/refresh')).body
      expect(offline.error?.message).toMatch(/unreachable/)
      const restart = (await app.send<Job>('POST', `/api/v1/deployments/${id}/restart`)).body
      expect((await waitJob(app, restart.id, ['done'], 90_000)).state).toBe('done')
      const again = await deployment(id)
      expect(again.status.state).toBe('ready')
      expect(again.definition.image).toBe(`${remote}:v0.23.0`)
      expect(again.definition.imageDigest).toBe(digest)
    } finally {
      await sim.faults({ down: false })
    }
  }, 240_000)
})
