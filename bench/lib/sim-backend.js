// @ts-check
// The simulated vLLM's HTTP server (test/sim/vllm/server.js, built as test/sim/vllm-api-support.ts builds it), for
// the benchmarks: in-process (`simBackend()`), or as its own process (`node bench/lib/sim-backend.js '<json opts>'`
// prints `{"url": …}` and serves until SIGTERM).
import { fileURLToPath } from 'node:url'
import { createLoggers } from '../../test/sim/vllm/log.js'
import { Stats } from '../../test/sim/vllm/metrics.js'
import { mountedRoutes, supportedTasks } from '../../test/sim/vllm/routes.js'
import { createApiServer } from '../../test/sim/vllm/server.js'
import { createSleeper } from '../../test/sim/vllm/sleep.js'
import { versionInfo } from '../../test/sim/vllm/versions.js'

/**
 * vLLM sleep mode for one server (VLLM_SERVER_DEV_MODE=1 and --enable-sleep-mode): the simulated vLLM's own sleeper
 * (test/sim/vllm/sleep.js) over memory the caller keeps (`hold`: bytes per GPU held now; `memInfo`: a device's free
 * memory), its log lines to `out`.
 * @typedef {{ weightsPerGpu: number, kvBytes: number, awakeBytes: number, speed: number, hostFreeBytes: () => number,
 *   hold: (bytesPerGpu: number) => void, memInfo: (device: number) => { freeBytes: number, totalBytes: number },
 *   out: (text: string) => void }} SimSleep
 */

/**
 * @param {{ names?: string[], tokensPerS?: number, ttftMs?: number, port?: number, sleep?: SimSleep }} [o]
 * @returns {Promise<{ url: string, server: import('node:http').Server, close: () => Promise<void>,
 *   sleeper: import('../../test/sim/vllm/sleep.js').Sleeper | null }>}
 */
export async function simBackend(o = {}) {
  const v = versionInfo('latest')
  const labels = ['LABEL_0', 'LABEL_1']
  const tasks = supportedTasks({ architecture: 'Qwen3ForCausalLM', numLabels: labels.length })
  const names = o.names ?? ['qwen']
  const sl = o.sleep
  const sleeper = sl
    ? createSleeper({
        v,
        logs: createLoggers(v, { pid: 1, out: sl.out, err: sl.out }),
        alloc: { hold: sl.hold },
        cuda: /** @type {any} */ (null),
        memInfo: sl.memInfo,
        tp: 1,
        enabled: true,
        weightsPerGpu: sl.weightsPerGpu,
        kvBytes: sl.kvBytes,
        awakeBytes: sl.awakeBytes,
        speed: sl.speed,
        hostFreeBytes: sl.hostFreeBytes,
      })
    : null
  const server = createApiServer({
    v,
    servedNames: names,
    root: 'Qwen/Qwen3-8B',
    maxModelLen: 4096,
    tasks,
    hiddenSize: 64,
    labels,
    stats: new Stats(),
    tokensPerS: o.tokensPerS ?? 1000,
    ttftMs: o.ttftMs ?? 1,
    loadChanged: () => undefined,
    dead: () => false,
    auth: { keys: null, prefixes: v.authPrefixes },
    log: { info() {}, warning() {}, error() {}, uvicorn() {}, traceback() {} },
    accessLog: { enabled: false, skip: [] },
    metrics: { model: names[0] ?? 'qwen', kvTokens: 10000, blockSize: 16, gpuMemoryUtilization: 0.9, numGpuBlocks: 625, oldNames: false },
    createdAt: Date.now(),
    routes: mountedRoutes(v, tasks, !!sleeper),
    sleeper,
    garbled: () => sleeper?.garbled() ?? false,
  })
  // vLLM runs uvicorn's keep-alive of 5 s; nginx and the gateway keep idle upstream connections longer
  server.keepAliveTimeout = 65_000
  await new Promise((r) => server.listen(o.port ?? 0, '127.0.0.1', () => r(undefined)))
  const addr = /** @type {import('node:net').AddressInfo} */ (server.address())
  return {
    url: `http://127.0.0.1:${addr.port}`,
    server,
    sleeper,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const b = await simBackend(JSON.parse(process.argv[2] ?? '{}'))
  process.stdout.write(`${JSON.stringify({ url: b.url })}\n`)
  process.once('SIGTERM', () => void b.close().then(() => process.exit(0)))
}
