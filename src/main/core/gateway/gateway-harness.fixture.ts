import { mkdtempSync, rmSync } from 'node:fs'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { silentLogger } from '../logging/logger'
import type { GatewayBackend } from './backends'
import { backend, FakeBackends } from './fake-backends.fixture'
import { FakeVllm } from './fake-vllm.fixture'
import { GatewayServer, type GatewayOptions } from './gateway-server'
import { GatewayKeys } from './keys'

export const BACKEND_KEY = 'backend-secret-key'

/** A non-loopback IPv4 address of this machine, to call the gateway as another machine would (null if none). */
export const externalIPv4: string | null =
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address ?? null

/**
 * A real gateway on a free port in front of a real (fake) vLLM HTTP server, with backends held in memory. The
 * backend `q` (served as qwen3-8b) starts `stopped` unless `ready`; start() flips it to creating, and to loading
 * and ready once the fake vLLM listens — unless the test takes over `backends.onStart`.
 */
export async function gatewayHarness(o: { ready?: boolean; options?: Partial<GatewayOptions>; backend?: Partial<GatewayBackend> } = {}) {
  const vllm = new FakeVllm({ servedNames: ['qwen3-8b', 'qwen'], apiKey: BACKEND_KEY })
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-'))
  const common = {
    servedNames: ['qwen3-8b', 'qwen'],
    aliases: ['chat'],
    repoId: 'Qwen/Qwen3-8B',
    deploymentName: 'Qwen 8B',
    apiKey: BACKEND_KEY,
    maxModelLen: 32768,
  }
  const endpoint = o.ready ? await vllm.listen() : null
  const backends = new FakeBackends([
    backend('q', { ...common, ...(o.ready ? { state: 'ready', endpoint } : {}), ...o.backend }),
    backend('e', { servedNames: ['bge-m3'], serve: 'off' }),
  ])
  backends.onStart = (id) => {
    backends.set(id, { state: 'creating' })
    void vllm.listen().then((ep) => {
      backends.set(id, { state: 'loading', phase: 'loading weights', progress: 0.5, etaSeconds: 3 })
      backends.set(id, { state: 'ready', endpoint: ep, phase: undefined, progress: undefined, etaSeconds: undefined })
    })
  }
  const keys = new GatewayKeys({ dataDir })
  const registry = new Registry()
  const gw = new GatewayServer({ backends, keys, registry, logger: silentLogger(), options: { port: 0, host: '127.0.0.1', ...o.options } })
  const started = await gw.start()
  if (!started.ok) throw new Error(started.error.message)
  const base = `http://127.0.0.1:${gw.port}`
  const post = (path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal,
    })
  return {
    vllm,
    backends,
    keys,
    registry,
    gw,
    base,
    post,
    async close() {
      await gw.dispose()
      await vllm.close().catch(() => undefined)
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export type Harness = Awaited<ReturnType<typeof gatewayHarness>>

/** Reads an SSE body to its end: the data payloads and the comment lines. */
export async function readSse(res: Response): Promise<{ data: string[]; comments: string[] }> {
  const text = await res.text()
  const data: string[] = []
  const comments: string[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith('data: ')) data.push(line.slice(6))
    else if (line.startsWith(':')) comments.push(line.slice(1).trim())
  }
  return { data, comments }
}
