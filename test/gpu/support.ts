import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Conf from 'conf'
import { createCore, type Core, type CoreOptions } from '../../src/main/core/create-core'
import { silentLogger } from '../../src/main/core/logging/logger'
import { fileModeCodec } from '../../src/main/core/settings/backend'
import { SOURCE_WORKER_FILE } from '../../src/main/core/workers/worker-file'
import { startHeadlessServer, type HeadlessServer } from '../../src/main/server/http-server'
import type { GpuHistory } from '../../src/shared/contract/gpu'
import { simGpus, type SimGpus, type SimFault } from './sim-gpus'

export { simGpus, type SimGpus, type SimFault }

export const TOKEN = 'gpu-test-token-0123456789abcdefghijklmnop'

export interface App {
  core: Core
  server: HeadlessServer
  home: string
  get<T>(path: string): Promise<{ status: number; body: T }>
  send<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>
  text(path: string): Promise<{ status: number; text: string; type: string | null }>
  stop(): Promise<void>
}

/** The real core + headless HTTP server (REST, /metrics) in this process, in a fresh home. */
export async function startApp(
  opts: { env?: NodeJS.ProcessEnv; gpuTuning?: CoreOptions['gpuTuning']; settings?: Record<string, unknown> } = {},
): Promise<App> {
  const home = mkdtempSync(join(tmpdir(), 'inferadmin-gpu-home-'))
  const renderer = join(home, 'renderer')
  mkdirSync(renderer)
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>InferAdmin</title>')
  if (opts.settings) writeFileSync(join(home, 'settings.json'), JSON.stringify(opts.settings))
  const core = await createCore({
    mode: 'headless',
    version: '0.0.0-test',
    paths: { configDir: home, dataDir: home },
    openSettingsFile: () =>
      new Conf<Record<string, unknown>>({ cwd: home, configName: 'settings', projectName: 'inferadmin', clearInvalidConfig: false }),
    secretCodec: fileModeCodec,
    workerFile: SOURCE_WORKER_FILE,
    env: { INFERADMIN_HOME: home, PATH: process.env.PATH, HOME: home, ...opts.env },
    logger: silentLogger(),
    gpuTuning: opts.gpuTuning,
  })
  const server = await startHeadlessServer({
    router: core.router,
    logger: core.logger,
    version: '0.0.0-test',
    token: TOKEN,
    host: '127.0.0.1',
    port: 0,
    rendererDir: renderer,
    metrics: core.metrics,
  })
  const auth = { authorization: `Bearer ${TOKEN}` }
  const send = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(server.url + path, {
      method,
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as T }
  }
  return {
    core,
    server,
    home,
    get: (path) => send('GET', path),
    send,
    text: async (path) => {
      const res = await fetch(server.url + path, { headers: auth })
      return { status: res.status, text: await res.text(), type: res.headers.get('content-type') }
    },
    stop: async () => {
      await server.close()
      await core.dispose()
      rmSync(home, { recursive: true, force: true })
    },
  }
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes; the error names `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/**
 * Which sample after `sinceMs` first read `usedMiB` on GPU `index` (1 = the first sample taken after it), from the
 * history. "A change shows within two intervals" is asserted in samples, not wall-clock time: under CPU load the
 * HTTP round trips of a poll can take longer than an interval, but the sampler's own cadence is what is promised.
 */
export async function sampleThatShowed(app: App, index: number, sinceMs: number, usedMiB: number): Promise<number> {
  const h = (await app.get<GpuHistory>('/api/v1/gpus/history?seconds=600')).body
  const g = h.gpus.find((x) => x.index === index)
  const after = (g?.t ?? []).map((t, i) => ({ t, used: g?.memoryUsedMiB[i] })).filter((x) => x.t > sinceMs)
  const at = after.findIndex((x) => x.used === usedMiB)
  return at < 0 ? Number.POSITIVE_INFINITY : at + 1
}
