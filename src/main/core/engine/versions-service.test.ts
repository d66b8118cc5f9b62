import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Conf from 'conf'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DockerEndpoint } from '../docker/endpoint'
import { JobService } from '../jobs/job-service'
import { silentLogger } from '../logging/logger'
import { fileModeCodec } from '../settings/backend'
import { defaultSettings } from '../settings/defaults'
import { SecretStore } from '../settings/secrets'
import { SettingsService } from '../settings/settings-service'
import { EngineVersionsService } from './versions-service'

// The nightly schedule with the clock under test control (fake timers + Date), against a small Docker Hub API
// stand-in on loopback serving two pages of tags.
let dir: string
let hub: Server
let hubUrl: string
let hits: string[]

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inferadmin-versions-'))
  hits = []
  hub = createServer((req, res) => {
    hits.push(req.url ?? '')
    const page = new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '1'
    const body =
      page === '1'
        ? {
            count: 3,
            next: `${hubUrl}/v2/repositories/vllm/vllm-openai/tags?page=2&page_size=100`,
            results: [
              { name: 'v0.10.0', last_updated: '2025-07-24T00:00:00Z', digest: 'sha256:a', full_size: 1 },
              { name: 'latest', last_updated: '2026-05-20T00:00:00Z', digest: 'sha256:b', full_size: 2 },
            ],
          }
        : { count: 3, next: null, results: [{ name: 'v0.21.0', last_updated: '2026-05-20T00:00:00Z', digest: 'sha256:b', full_size: 2 }] }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r))
  const a = hub.address()
  hubUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`
})

afterEach(async () => {
  vi.useRealTimers()
  await new Promise((r) => hub.close(r))
  rmSync(dir, { recursive: true, force: true })
})

function make(settings: Record<string, unknown> = {}) {
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ dockerSocket: `unix://${dir}/no-docker.sock`, ...settings }))
  const logger = silentLogger()
  const s = new SettingsService({
    openFile: () =>
      new Conf<Record<string, unknown>>({ cwd: dir, configName: 'settings', projectName: 'inferadmin', clearInvalidConfig: false }),
    filePath: join(dir, 'settings.json'),
    secrets: new SecretStore(dir, fileModeCodec, logger),
    defaults: defaultSettings({ configDir: dir, dataDir: dir }, { INFERADMIN_HOME: dir }),
    logger,
  })
  const env = { INFERADMIN_DOCKERHUB_API: hubUrl }
  const jobs = new JobService({ dir: join(dir, 'jobs'), logger })
  const engine = new EngineVersionsService({ settings: s, docker: new DockerEndpoint(s, env), jobs, logger, dataDir: dir, env })
  return { settings: s, engine }
}

const fetchedAt = async (e: EngineVersionsService): Promise<string | null> => (await e.tags()).fetchedAt

describe('nightly tag refresh', () => {
  it('refreshes at start when the last scheduled run was missed, following `next` across pages', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date(2026, 5, 10, 10, 0) })
    const { engine } = make()
    await engine.start()
    await vi.waitFor(async () => expect(await fetchedAt(engine)).not.toBeNull())
    const l = await engine.tags()
    expect(l.releases.map((r) => r.version)).toEqual(['v0.21.0', 'v0.10.0'])
    expect(hits.length).toBe(2)
    expect(l.dockerError).toMatch(/not reachable/)
    expect(new Date(l.nextRefreshAt).getTime()).toBe(new Date(2026, 5, 11, 3, 0).getTime())
    engine.dispose()
  })

  it('does not refresh at start after a run since the last slot; fires at the configured time, and at a changed time', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: new Date(2026, 5, 10, 10, 0) })
    mkdirSync(join(dir, 'engine'), { recursive: true })
    const at = new Date(2026, 5, 10, 3, 0, 5).toISOString()
    writeFileSync(
      join(dir, 'engine', 'tags.json'),
      JSON.stringify({
        lists: {
          'vllm/vllm-openai': {
            repository: 'vllm/vllm-openai',
            source: 'dockerhub',
            endpoint: hubUrl,
            fetchedAt: at,
            tags: [],
            newestRelease: null,
            newestDigest: null,
          },
        },
        attempts: {},
        errors: {},
      }),
    )
    const { engine, settings } = make({ tagRefreshTime: '03:00' })
    await engine.start()
    expect(hits).toEqual([])
    settings.update({ tagRefreshTime: '11:30' })
    await vi.advanceTimersByTimeAsync(89 * 60_000)
    expect(hits).toEqual([])
    await vi.advanceTimersByTimeAsync(2 * 60_000)
    await vi.waitFor(() => expect(hits.length).toBe(2))
    await vi.waitFor(async () => expect(await fetchedAt(engine)).not.toBe(at))
    engine.dispose()
  })
})
