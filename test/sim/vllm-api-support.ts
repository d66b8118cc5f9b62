import type { AddressInfo } from 'node:net'
import { afterEach } from 'vitest'
import { mountedRoutes, supportedTasks } from './vllm/routes.js'
import { createApiServer } from './vllm/server.js'
import { Stats } from './vllm/metrics.js'
import { versionInfo } from './vllm/versions.js'

/**
 * The simulated vLLM's HTTP server in-process (real HTTP on loopback), built as `vllm serve` builds it from
 * its arguments (vllm/serve.js); for tests of the API that need no container.
 */
export interface Opts {
  tag?: string
  arch?: string
  labels?: string[]
  keys?: string[] | null
  names?: string[]
  tokensPerS?: number
}
const servers: { close: () => void }[] = []
afterEach(() => servers.splice(0).forEach((s) => s.close()))

export async function sim(o: Opts = {}) {
  const v = versionInfo(o.tag ?? 'latest')
  const labels = o.labels ?? ['LABEL_0', 'LABEL_1']
  const tasks = supportedTasks({ architecture: o.arch ?? 'Qwen3ForCausalLM', numLabels: labels.length })
  const stats = new Stats()
  const loads: number[] = []
  const names = o.names ?? ['qwen', 'qwen-alias']
  const server = createApiServer({
    v,
    servedNames: names,
    root: 'org/model',
    maxModelLen: 4096,
    tasks,
    hiddenSize: 64,
    labels,
    stats,
    tokensPerS: o.tokensPerS ?? 400,
    ttftMs: 1,
    loadChanged: () => loads.push(stats.running),
    dead: () => false,
    auth: { keys: o.keys === undefined ? null : o.keys, prefixes: v.authPrefixes },
    log: { info() {}, warning() {}, error() {}, uvicorn() {}, traceback() {} },
    accessLog: { enabled: false, skip: [] },
    metrics: { model: names[0]!, kvTokens: 10000, blockSize: 16, gpuMemoryUtilization: 0.9, numGpuBlocks: 625, oldNames: false },
    createdAt: Date.now(),
    routes: mountedRoutes(v, tasks),
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  servers.push({ close: () => (server.closeAllConnections(), server.close()) })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  return { base, stats, loads, post }
}

/** A chat request body. */
export const chat = (model?: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Hello there' }],
  max_tokens: 5,
  ...extra,
})

/** A parsed JSON response body: its shapes are many, and each test asserts the fields it reads. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vLLM's bodies of many shapes, checked with expect
export type Body = any
export const body = async (r: Response | Promise<Response>): Promise<Body> => (await r).json()
