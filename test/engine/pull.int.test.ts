import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LocalImage, NewRelease, PruneResult, TagList } from '../../src/shared/contract/engine'
import type { Job } from '../../src/shared/contract/jobs'
import {
  type App,
  buildUniqueImage,
  engineSim,
  type EngineSim,
  imagePresent,
  removeLocal,
  startApp,
  testRepository,
  waitFor,
  waitJob,
} from './support'

// Against the real registry of the sim (Debian docker-registry behind the token-auth front): a repository of its own
// per run, holding two simulated releases plus images with random layers, so pulls really download.
let sim: EngineSim
let app: App
let repo: string
let remote: string
const LOCAL = 'inferadmin-test/engine-src'

beforeAll(async () => {
  sim = engineSim()
  repo = testRepository()
  remote = `${sim.registry}/${repo}`
  await buildUniqueImage(sim.docker, LOCAL, 'a', 8)
  await buildUniqueImage(sim.docker, LOCAL, 'b', 24)
  await buildUniqueImage(sim.docker, LOCAL, 'c', 4)
  await sim.docker.getImage(`${sim.simRepository}:v0.10.0`).tag({ repo: LOCAL, tag: 'v0.10.0' })
  await pushTagsAs(LOCAL, { 'v0.10.0': 'v0.10.0', 'v0.12.0': 'a', 'v0.12.1': 'b', nightly: 'c' })
  // the pulls below must download: drop the local sources (their random layers go with them)
  await removeLocal(sim.docker, [LOCAL, remote])
  app = await startApp({ env: { DOCKER_HOST: sim.env.DOCKER_HOST }, settings: { vllmImageRepository: remote } })
  await waitFor(
    'the start-up refresh',
    async () => ((await app.get<TagList>('/api/v1/engine/tags')).body.fetchedAt ? true : undefined),
    20_000,
  )
}, 120_000)

async function pushTagsAs(source: string, tags: Record<string, string>): Promise<void> {
  const { pushTags } = await import('../sim/registry/registry.js')
  // pushTags pushes `<source>:<local>` as `<registry>/<repo>:<tag>`: tag the sources under the test repo name first
  for (const [tag, local] of Object.entries(tags)) await sim.docker.getImage(`${source}:${local}`).tag({ repo, tag })
  await pushTags(sim.docker, { registry: sim.registry, repository: repo, tags: Object.fromEntries(Object.keys(tags).map((t) => [t, t])) })
  await removeLocal(sim.docker, [repo])
}

afterAll(async () => {
  await sim?.faults({ throttleBps: 0, down: false, anonymous: true })
  await app?.stop()
  if (sim) await removeLocal(sim.docker, [LOCAL, remote, repo])
})

const tags = async (): Promise<TagList> => (await app.get<TagList>('/api/v1/engine/tags')).body

// An ordered scenario, not independent tests: each step uses the images that the steps before pulled and pushed
// (starting them again for every test would add minutes to each run). Shuffled runs (npm run test:stress) keep this
// order; the files themselves still run in random order.
describe('registry v2 source', { shuffle: false }, () => {
  it('lists the registry tags (token auth) with digests, sizes and dates; nothing pulled yet', async () => {
    const l = await tags()
    expect(l.source).toBe('registry')
    expect(l.repository).toBe(remote)
    expect(l.releases.map((r) => r.version)).toEqual(['v0.12.1', 'v0.12.0', 'v0.10.0'])
    expect(l.nightlies.map((t) => t.name)).toEqual(['nightly'])
    for (const r of l.releases) {
      expect(r.tag?.digest).toMatch(/^sha256:/)
      expect(r.tag?.date).toBeTruthy()
      expect(r.tag?.local).toBeNull()
    }
    expect(l.releases[1]!.tag!.sizeBytes).toBeGreaterThan(8 * 1024 * 1024)
  })

  it('pull shows layer progress and ends with the image present, marked pulled with the registry digest', async () => {
    await sim.faults({ throttleBps: 4 * 1024 * 1024 })
    const seen: Job['progress'][] = []
    const sub = app.core.jobs.onUpdate((j) => j.kind === 'engine.pull' && seen.push(j.progress))
    try {
      const r = await app.send<Job>('POST', '/api/v1/engine/pull', { tag: 'v0.12.0' })
      expect(r.status).toBe(200)
      const done = await waitJob(app, r.body.id, ['done'], 60_000)
      expect(done.result?.digest).toMatch(/^sha256:/)
      expect(seen.some((p) => p.bytesDone > 0 && p.bytesDone < p.bytesTotal)).toBe(true)
      expect(seen.some((p) => (p.items ?? []).some((i) => i.state === 'running'))).toBe(true)
      expect(done.progress.bytesDone).toBe(done.progress.bytesTotal)
      expect(done.progress.bytesTotal).toBeGreaterThan(8 * 1024 * 1024)
    } finally {
      sub.dispose()
      await sim.faults({ throttleBps: 0 })
    }
    expect(await imagePresent(sim.docker, `${remote}:v0.12.0`)).toBe(true)
    const l = await tags()
    const v = l.releases.find((x) => x.version === 'v0.12.0')!.tag!
    expect(v.local?.digest).toBe(v.digest)
    expect(v.local?.upToDate).toBe(true)
  })

  it('cancel mid-download leaves no half-registered image', async () => {
    await sim.faults({ throttleBps: 1024 * 1024 })
    try {
      const r = await app.send<Job>('POST', '/api/v1/engine/pull', { tag: 'v0.12.1' })
      await waitFor(
        'bytes to arrive',
        async () => {
          const j = (await app.get<Job>(`/api/v1/jobs/${r.body.id}`)).body
          return j.progress.bytesDone > 0 ? j : undefined
        },
        30_000,
      )
      const c = await app.send<Job>('POST', `/api/v1/jobs/${r.body.id}/cancel`)
      expect(c.body.state).toBe('cancelled')
    } finally {
      await sim.faults({ throttleBps: 0 })
    }
    expect(await imagePresent(sim.docker, `${remote}:v0.12.1`)).toBe(false)
    const images = (await app.get<LocalImage[]>('/api/v1/engine/images')).body
    expect(images.map((i) => i.tag)).toEqual(['v0.12.0'])
  })

  it('clear errors: unknown tag, unauthorized, registry unreachable', async () => {
    const unknown = await app.send<{ message: string; data: { fix: string } }>('POST', '/api/v1/engine/pull', { tag: 'v9.9.9' })
    expect(unknown.status).toBe(404)
    expect(unknown.body.message).toMatch(/v9\.9\.9 does not exist.*manifest unknown/)
    await sim.faults({ anonymous: false })
    const denied = await app.send<{ message: string; data: { fix: string } }>('POST', '/api/v1/engine/pull', { tag: 'v0.12.1' })
    await sim.faults({ anonymous: true })
    expect(denied.status).toBe(403)
    expect(denied.body.message).toMatch(/refused/)
    await sim.faults({ down: true })
    let list: TagList
    try {
      // unreachable from the app too: Docker (which may have its own proxy) tries, and its error ends the job
      const down = await app.send<Job>('POST', '/api/v1/engine/pull', { tag: 'v0.12.1' })
      expect(down.status).toBe(200)
      const failed = await waitJob(app, down.body.id, ['failed'])
      expect(failed.error?.message).toMatch(/unreachable from Docker/)
      expect(failed.error?.fix).toMatch(/network/i)
      expect(await imagePresent(sim.docker, `${remote}:v0.12.1`)).toBe(false)
    } finally {
      list = (await app.send<TagList>('POST', '/api/v1/engine/tags/refresh')).body
      await sim.faults({ down: false })
    }
    expect(list.error?.message).toMatch(/unreachable.*Showing the list from/)
    expect(list.releases.map((r) => r.version)).toEqual(['v0.12.1', 'v0.12.0', 'v0.10.0'])
  })

  it('a new release pushed to the registry appears after a refresh; "newer release" fires and resolveLatestRelease returns it with its digest', async () => {
    const events: NewRelease[] = []
    const sub = app.core.engine.onNewRelease((e) => events.push(e))
    try {
      await buildUniqueImage(sim.docker, LOCAL, 'd', 1)
      await pushTagsAs(LOCAL, { 'v0.13.0': 'd' })
      await removeLocal(sim.docker, [LOCAL])
      // a tag built or tagged locally shows (pulled, no date) but is never "the newest release"
      await sim.docker.getImage(`${remote}:v0.12.0`).tag({ repo: remote, tag: 'v9.0.0' })
      const l = (await app.send<TagList>('POST', '/api/v1/engine/tags/refresh')).body
      await sim.docker.getImage(`${remote}:v9.0.0`).remove({ noprune: true })
      expect(l.releases[0]!.tag).toMatchObject({ name: 'v9.0.0', date: null, digest: null })
      expect(l.releases[0]!.tag!.local).not.toBeNull()
      l.releases.shift()
      expect(l.releases[0]!.version).toBe('v0.13.0')
      expect(l.newestRelease).toBe('v0.13.0')
      expect(events).toEqual([expect.objectContaining({ tag: 'v0.13.0', previous: 'v0.12.1', digest: l.releases[0]!.tag!.digest })])
      const latest = await app.core.engine.resolveLatestRelease()
      expect(latest).toEqual({ tag: 'v0.13.0', digest: l.releases[0]!.tag!.digest, ref: `${remote}:v0.13.0` })
      // what an always-latest (re)deploy does: pull the resolved ref, record the digest it runs
      const job = (await app.send<Job>('POST', '/api/v1/engine/pull', { tag: latest.tag })).body
      await waitJob(app, job.id, ['done'])
      expect(await app.core.engine.localDigest(latest.ref)).toBe(latest.digest)
    } finally {
      sub.dispose()
    }
  })

  it('DELETE refuses an image a container uses; prune removes unused ones and reports bytes freed', async () => {
    const c = await sim.docker.createContainer({
      Image: `${remote}:v0.12.0`,
      Cmd: ['/x'],
      Labels: { 'inferadmin.deployment': 'engine-test' },
    })
    try {
      const refused = await app.send<{ message: string }>('DELETE', '/api/v1/engine/images/v0.12.0')
      expect(refused.status).toBe(409)
      expect(refused.body.message).toMatch(/in use by deployment engine-test/)
      const dry = (await app.send<{ job: Job | null; candidates: LocalImage[] }>('POST', '/api/v1/engine/prune', { dryRun: true })).body
      expect(dry.job).toBeNull()
      expect(dry.candidates.map((i) => i.tag)).toEqual(['v0.13.0'])
      const run = (await app.send<{ job: Job }>('POST', '/api/v1/engine/prune', { dryRun: false })).body
      const done = await waitJob(app, run.job.id, ['done'])
      expect(Number(done.result?.bytesFreed)).toBeGreaterThanOrEqual(1024 * 1024)
      expect(await imagePresent(sim.docker, `${remote}:v0.13.0`)).toBe(false)
      expect(await imagePresent(sim.docker, `${remote}:v0.12.0`)).toBe(true)
    } finally {
      await c.remove({ force: true })
    }
    const del = await app.send<PruneResult>('DELETE', '/api/v1/engine/images/v0.12.0')
    expect(del.status).toBe(200)
    expect(del.body.removed).toEqual([`${remote}:v0.12.0`])
    expect(del.body.bytesFreed).toBeGreaterThanOrEqual(8 * 1024 * 1024)
  })
})
