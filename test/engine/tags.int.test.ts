import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlagDiff, TagList } from '../../src/shared/contract/engine'
import { type App, engineSim, type EngineSim, startApp, waitFor } from './support'

// Tag list of the simulated repository through the Docker Hub API stand-in (backed by the sim registry, which
// `sim up` filled with the simulated tags plus a -cu129/-x86_64 variant and a nightly-<sha>); the simulated images
// are built in the sim dockerd, so the main tags show as pulled.
let sim: EngineSim
let app: App

beforeAll(async () => {
  sim = engineSim()
  app = await startApp({
    env: { DOCKER_HOST: sim.env.DOCKER_HOST, INFERADMIN_DOCKERHUB_API: sim.env.INFERADMIN_DOCKERHUB_API },
    settings: { vllmImageRepository: sim.simRepository },
  })
}, 60_000)

afterAll(async () => {
  await app?.stop()
})

describe('tag list (Docker Hub API stand-in)', () => {
  it('is fetched once at start (no list yet = the last scheduled run was missed), releases in semver order, latest and nightlies apart, dates, pulled ones marked', async () => {
    const list = await waitFor(
      'the start-up refresh',
      async () => {
        const l = (await app.get<TagList>('/api/v1/engine/tags')).body
        return l.fetchedAt ? l : undefined
      },
      20_000,
    )
    expect(list.source).toBe('dockerhub')
    expect(list.endpoint).toBe(sim.env.INFERADMIN_DOCKERHUB_API)
    expect(list.error).toBeNull()
    expect(list.releases.map((r) => r.version)).toEqual(['v0.21.0', 'v0.12.0', 'v0.11.0', 'v0.10.0'])
    expect(list.newestRelease).toBe('v0.21.0')
    const v21 = list.releases[0]!
    expect(v21.tag?.date).toMatch(/^2026-05-20T/)
    expect(v21.variants.map((v) => v.name)).toEqual(['v0.21.0-cu129'])
    expect(list.releases[1]!.variants.map((v) => v.variant)).toEqual(['x86_64'])
    expect(list.latest.map((t) => t.name)).toEqual(['latest'])
    expect(list.nightlies.map((t) => t.name).sort()).toEqual(['nightly', 'nightly-7a1eb8ac2ec4ea69338c51dc7afd4b15010abfa8'])
    for (const r of list.releases) {
      expect(r.tag?.date, r.version).toBeTruthy()
      expect(r.tag?.digest, r.version).toMatch(/^sha256:[0-9a-f]{64}$/)
      expect(r.tag?.sizeBytes, r.version).toBeGreaterThan(0)
      // built in the sim dockerd: pulled
      expect(r.tag?.local?.sizeBytes, r.version).toBeGreaterThan(0)
    }
    expect(v21.variants[0]!.local).toBeNull()
    expect(list.latest[0]!.local).not.toBeNull()
    expect(list.ageSeconds).toBeGreaterThanOrEqual(0)
    expect(Date.parse(list.nextRefreshAt)).toBeGreaterThan(Date.now())
  })

  it('GET /engine/images lists the pulled tags of the repository with size', async () => {
    const images = (await app.get<{ tag: string; sizeBytes: number; digest: string | null }[]>('/api/v1/engine/images')).body
    expect(images.map((i) => i.tag)).toEqual(expect.arrayContaining(['v0.10.0', 'v0.11.0', 'v0.12.0', 'v0.21.0', 'latest', 'nightly']))
    expect(images.every((i) => i.sizeBytes > 0)).toBe(true)
  })

  it('Docker Hub unreachable → the last list with its age and a clear message; nothing breaks', async () => {
    const before = (await app.get<TagList>('/api/v1/engine/tags')).body
    await sim.faults({ down: true })
    try {
      const r = await app.send<TagList>('POST', '/api/v1/engine/tags/refresh')
      expect(r.status).toBe(200)
      expect(r.body.fetchedAt).toBe(before.fetchedAt)
      expect(r.body.releases.map((x) => x.version)).toEqual(before.releases.map((x) => x.version))
      expect(r.body.error?.message).toMatch(/unreachable/)
      expect(r.body.error?.message).toMatch(/Showing the list from \d+ s ago/)
      expect(r.body.error?.fix).toMatch(/network/i)
      // the cached list is what GET shows too, with the same message; its age moves on between the two calls
      // (it was "0 s ago" vs "1 s ago" when a second boundary fell between them), so compare it without the number
      const anyAge = (m: string | undefined): string | undefined => m?.replace(/from \d+ s ago/, 'from N s ago')
      const again = (await app.get<TagList>('/api/v1/engine/tags')).body.error?.message
      expect(again).toMatch(/Showing the list from \d+ s ago/)
      expect(anyAge(again)).toBe(anyAge(r.body.error?.message))
    } finally {
      await sim.faults({ down: false })
    }
    const ok = (await app.send<TagList>('POST', '/api/v1/engine/tags/refresh')).body
    expect(ok.error).toBeNull()
    expect(Date.parse(ok.fetchedAt!)).toBeGreaterThanOrEqual(Date.parse(before.fetchedAt!))
  })
})

describe('flag changes between versions', () => {
  it('v0.21.0 → v0.10.0 lists added/removed/renamed flags and the args v0.10.0 would refuse', async () => {
    const args = {
      '--enable-log-requests': true,
      '--runner': 'generate',
      '--max-model-len': 4096,
      '--gpu-memory-utilization': 0.9,
      '--kv-cache-memory-bytes': '8G',
    }
    const r = await app.send<FlagDiff>('POST', '/api/v1/engine/flag-diff', { from: 'v0.21.0', to: 'v0.10.0', args })
    if (r.status !== 200) throw new Error(JSON.stringify(r.body))
    expect(r.status).toBe(200)
    const d = r.body
    expect(d.renamed).toEqual(
      expect.arrayContaining([
        { from: '--enable-log-requests', to: '--disable-log-requests' },
        { from: '--runner', to: '--task' },
      ]),
    )
    expect(d.removed).toContain('--kv-cache-memory-bytes')
    expect(d.added).toContain('--num-scheduler-steps')
    expect(d.rejected.map((x) => x.flag).sort()).toEqual(['--enable-log-requests', '--kv-cache-memory-bytes', '--runner'])
    expect(d.rejected.find((x) => x.flag === '--enable-log-requests')).toMatchObject({ successor: '--disable-log-requests' })
    expect(d.rejected.find((x) => x.flag === '--runner')?.reason).toMatch(/v0\.10\.0 does not know --runner/)
    // both simulated images are pulled: their own --help=all was compared, not the bundled history
    expect(d.basis).toMatch(/images' own flag lists/)
    // the same args are fine for the version they came from
    const same = (
      await app.send<FlagDiff>('POST', '/api/v1/engine/flag-diff', { from: 'v0.10.0', to: 'v0.21.0', args: { '--max-model-len': 4096 } })
    ).body
    expect(same.rejected).toEqual([])
  })

  it('a bad tag is a 400 naming the field', async () => {
    const r = await app.send<{ message: string }>('POST', '/api/v1/engine/flag-diff', { from: 'v0.21.0', to: 'bad tag!' })
    expect(r.status).toBe(400)
    expect(r.body.message).toMatch(/to/)
  })
})
