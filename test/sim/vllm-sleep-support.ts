import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { GiB } from '../../src/main/core/planner/footprint-lines'
import { initGpuState, listAllocations, readings, readState } from './gpus/state.js'
import { detectCuda } from './vllm/gpu.js'
import { createLoggers } from './vllm/log.js'
import { Stats } from './vllm/metrics.js'
import { mountedRoutes, supportedTasks } from './vllm/routes.js'
import { createApiServer } from './vllm/server.js'
import { createSleeper } from './vllm/sleep.js'
import { startEngine } from './vllm/startup.js'
import { versionInfo } from './vllm/versions.js'

/**
 * A simulated vLLM engine in-process for sleep-mode tests (no container): the real startup on a simulated GPU
 * directory, the real HTTP server with the dev-mode routes, its log captured. Cleaned up after each test.
 */
let dir: string
let gpuDir: string
const closers: (() => void)[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'inferadmin-sleep-'))
  gpuDir = join(dir, 'gpus')
  initGpuState(gpuDir)
})
afterEach(() => {
  closers.splice(0).forEach((c) => c())
  rmSync(dir, { recursive: true, force: true })
})

const model = {
  name: 'Qwen/Qwen3-0.6B',
  dir: '/models/qwen',
  commit: 'c1899de289a04d12100db370d81485cdf75e47ca',
  config: {},
  architecture: 'Qwen3ForCausalLM',
  weightBytes: 1.2 * GiB,
  paramCount: 600_000_000,
  numLayers: 28,
  numKvHeads: 8,
  headDim: 128,
  hiddenSize: 1024,
  derivedMaxLen: 40960,
  dtype: 'bfloat16',
  labels: [],
}

/** MiB our process holds on GPU 0, as nvidia-smi reads it. */
export const usedMiB = (): number => {
  const r = readings(readState(gpuDir), listAllocations(gpuDir, { verify: 'host' }))
  return r[0]!.usedMiB
}

export async function engine(o: { tag?: string; devMode?: boolean; enabled?: boolean; hostFreeBytes?: number; speed?: number } = {}) {
  const v = versionInfo(o.tag ?? 'v0.21.0')
  let log = ''
  const logs = createLoggers(v, { pid: 7, out: (s: string) => void (log += s), err: (s: string) => void (log += s) })
  const cuda = detectCuda({ INFERADMIN_SIM_GPU_DIR: gpuDir, NVIDIA_VISIBLE_DEVICES: '0' })!
  const speed = o.speed ?? 4
  const holder: { alloc: { release: () => void } | null } = { alloc: null }
  const t0 = Date.now()
  const c = { v, args: { gpu_memory_utilization: 0.4 }, logs, model, cuda, sim: { speed, hangAt: null, crashAt: null } }
  const started = await startEngine({ ...c, maxModelLen: 4096, maxModelLenAuto: false } as never, holder as never)
  const coldMs = Date.now() - t0
  closers.push(() => holder.alloc?.release())
  const { plan, alloc } = started as unknown as {
    plan: { weightBytes: number; kvBytes: number; allocatedBytes: number }
    alloc: { hold: (b: number) => void }
  }
  const sleeper = createSleeper({
    v,
    logs,
    alloc,
    cuda,
    tp: 1,
    enabled: o.enabled ?? true,
    weightsPerGpu: plan.weightBytes,
    kvBytes: plan.kvBytes,
    awakeBytes: plan.allocatedBytes,
    speed,
    hostFreeBytes: () => o.hostFreeBytes ?? 64 * GiB,
  })
  const tasks = supportedTasks({ architecture: model.architecture, numLabels: 0 })
  const devMode = o.devMode ?? true
  const server = createApiServer({
    v,
    servedNames: ['qwen'],
    root: model.name,
    maxModelLen: 4096,
    tasks,
    hiddenSize: 64,
    labels: [],
    stats: new Stats(),
    tokensPerS: 400,
    ttftMs: 1,
    loadChanged: () => {},
    dead: () => false,
    auth: { keys: ['k'], prefixes: v.authPrefixes },
    log: logs.api,
    accessLog: { enabled: false, skip: [] },
    metrics: { model: 'qwen', kvTokens: 10000, blockSize: 16, gpuMemoryUtilization: 0.5, numGpuBlocks: 625, oldNames: false },
    createdAt: Date.now(),
    routes: mountedRoutes(v, tasks, devMode),
    sleeper: devMode ? sleeper : null,
    garbled: () => sleeper.garbled(),
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  closers.unshift(() => (server.closeAllConnections(), server.close()))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const post = (path: string, body?: unknown) =>
    fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  const sleeping = async () => ((await (await fetch(`${base}/is_sleeping`)).json()) as { is_sleeping: boolean }).is_sleeping
  return { log: () => log, coldMs, post, sleeping, base, plan }
}
