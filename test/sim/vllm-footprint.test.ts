import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fixedNeedBytes, GiB, isComplete, kvBytesPerToken, parseFootprint } from '../../src/main/core/planner/footprint-lines'
import { initGpuState } from './gpus/state.js'
import { detectCuda } from './vllm/gpu.js'
import { createLoggers } from './vllm/log.js'
import { startEngine } from './vllm/startup.js'
import { versionInfo } from './vllm/versions.js'

/**
 * The simulated vLLM's startup (in-process, no container) prints memory lines the planner's parser reads, for every
 * simulated version: weights, KV budget and tokens, graphs, engine time.
 */
let dir: string
let gpuDir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'inferadmin-fp-'))
  gpuDir = join(dir, 'gpus')
  initGpuState(gpuDir)
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

// Qwen3-0.6B-like: 28 layers, 8 KV heads, head 128 → 2·28·8·128·2 = 114,688 B per token (vllm-facts §3).
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

async function start(tag: string, args: Record<string, unknown>): Promise<{ log: string; requestedBytes: number }> {
  const v = versionInfo(tag)
  let log = ''
  const logs = createLoggers(v, { pid: 7, out: (s: string) => void (log += s), err: (s: string) => void (log += s) })
  const cuda = detectCuda({ INFERADMIN_SIM_GPU_DIR: gpuDir, NVIDIA_VISIBLE_DEVICES: '0' })
  const c = { v, args: { gpu_memory_utilization: 0.5, ...args }, logs, model, cuda, sim: { speed: 1000, hangAt: null, crashAt: null } }
  const holder: { alloc: { release: () => void } | null } = { alloc: null }
  const r = await startEngine({ ...c, maxModelLen: 4096, maxModelLenAuto: false } as never, holder as never)
  holder.alloc?.release()
  return { log, requestedBytes: (r as { requestedBytes: number }).requestedBytes }
}

describe('simulated vLLM startup → parseFootprint', () => {
  for (const tag of ['v0.10.0', 'v0.11.0', 'v0.12.0', 'v0.21.0']) {
    it(`${tag}: a complete footprint whose KV per token matches the model`, async () => {
      const { log, requestedBytes } = await start(tag, {})
      const fp = parseFootprint(log)
      expect(isComplete(fp)).toBe(true)
      expect(fp.weightsBytes! / GiB).toBeCloseTo(1.2, 1)
      expect(kvBytesPerToken(fp)).toBeCloseTo(114_688, -3)
      expect(fp.cudaGraphBytes).toBeGreaterThan(0)
      expect(fp.loadSeconds.engine).not.toBeNull()
      expect(fp.graphsInBudget).toBe(tag === 'v0.21.0' ? true : null)
      const fixed = fixedNeedBytes(fp, { requestedBytes })!
      expect(fixed).toBeGreaterThan(fp.weightsBytes!)
      expect(fixed).toBeLessThan(requestedBytes)
    })
  }

  it('with --enforce-eager: no graph line, and the engine line still comes', async () => {
    const fp = parseFootprint((await start('v0.21.0', { enforce_eager: true })).log)
    expect(fp.cudaGraphBytes).toBeNull()
    expect(isComplete(fp)).toBe(true)
  })
})
