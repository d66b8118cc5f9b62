import { describe, expect, it } from 'vitest'
import {
  applyFootprintLine,
  emptyFootprint,
  fixedNeedBytes,
  GiB,
  isComplete,
  kvBytesPerToken,
  parseFootprint,
  parseSleepFacts,
} from './footprint-lines'

const g = (x: number): number => Math.round(x * GiB)

describe('parseFootprint: the lines of every version (gateway-facts §2.2, §0.4)', () => {
  it('reads the real 2026 line quoted in §2.2 (club-3090#1047), prefix and all', () => {
    const fp = parseFootprint(
      '(EngineCore pid=196) INFO 08-17 20:38:38 [gpu_model_runner.py:5405] Model loading took 19.75 GiB memory and 6.356814 seconds',
    )
    expect(fp.weightsBytes).toBe(g(19.75))
    expect(fp.loadSeconds.weights).toBeCloseTo(6.356814)
    expect(isComplete(fp)).toBe(false)
  })

  it('reads the v0.10–v0.11 wording (`%.4f GiB and`), the V2 runner wording and `%s` sizes such as 7.0', () => {
    expect(
      parseFootprint('INFO 07-24 10:00:00 [gpu_model_runner.py:1892] Model loading took 14.9889 GiB and 5.123456 seconds').weightsBytes,
    ).toBe(g(14.9889))
    expect(parseFootprint('Model loading took 7.0 GiB and 3.500000 seconds').weightsBytes).toBe(g(7))
    expect(parseFootprint('Model loading took 14.9889 GiB memory and 5.1 seconds').weightsBytes).toBe(g(14.9889))
  })

  it('reads a v0.11 INFO start: KV budget, tokens with thousands separators, concurrency, graphs, engine time', () => {
    const log = [
      '(EngineCore_DP0 pid=80) INFO 10-01 12:00:00 [gpu_model_runner.py:2634] Model loading took 14.9889 GiB memory and 5.500000 seconds',
      '(EngineCore_DP0 pid=80) INFO 10-01 12:00:09 [monitor.py:34] torch.compile takes 8.21 s in total',
      '(EngineCore_DP0 pid=80) INFO 10-01 12:00:11 [gpu_worker.py:298] Available KV cache memory: 53.21 GiB',
      '(EngineCore_DP0 pid=80) INFO 10-01 12:00:11 [kv_cache_utils.py:1087] GPU KV cache size: 435,904 tokens',
      '(EngineCore_DP0 pid=80) INFO 10-01 12:00:11 [kv_cache_utils.py:1091] Maximum concurrency for 131,072 tokens per request: 3.33x',
      '(EngineCore_DP0 pid=80) INFO 10-01 12:00:20 [gpu_model_runner.py:3480] Graph capturing finished in 9 secs, took 0.55 GiB',
      '(EngineCore_DP0 pid=80) INFO 10-01 12:00:20 [core.py:210] init engine (profile, create kv cache, warmup model) took 21.40 seconds',
    ]
    const fp = parseFootprint(log.join('\n'))
    expect(fp).toMatchObject({
      weightsBytes: g(14.9889),
      kvCacheBytes: g(53.21),
      kvCacheSource: 'profiled',
      kvCacheTokens: 435_904,
      maxConcurrency: { tokensPerRequest: 131_072, times: 3.33 },
      cudaGraphBytes: g(0.55),
      cudaGraphSource: 'measured',
      graphsInBudget: null,
      loadSeconds: { weights: 5.5, compile: 8.21, graphs: 9, engine: 21.4, profiling: null },
    })
    expect(isComplete(fp)).toBe(true)
    // vllm-facts §3: Llama-3.1-8B bf16 = 128 KiB per token; 53.21 GiB / 435,904 tokens is that.
    expect(kvBytesPerToken(fp)).toBeCloseTo(131_072, -2)
  })

  it('reads the 2026 engine line (`took X s (compilation: …)`) and the v0.21 graph estimate/pool lines', () => {
    const fp = parseFootprint([
      'INFO 05-19 09:00:00 [gpu_worker.py:318] CUDA graph memory profiling is enabled (default since v0.21.0). The current --gpu-memory-utilization=0.9200 is equivalent to --gpu-memory-utilization=0.9100 without CUDA graph memory profiling.',
      'INFO 05-19 09:00:00 [gpu_worker.py:330] Estimated CUDA graph memory: 0.81 GiB total',
      'INFO 05-19 09:00:09 [gpu_model_runner.py:4371] CUDA graph pool memory: 0.75 GiB (actual), 0.81 GiB (estimated), difference: 0.06 GiB',
      'INFO 05-19 09:00:10 [core.py:286] init engine (profile, create kv cache, warmup model) took 31.02 s (compilation: 12.50 s — language_model: 12.50 s, encoder: 0.00 s)',
    ])
    expect(fp.graphsInBudget).toBe(true)
    expect(fp.cudaGraphBytes).toBe(g(0.75))
    expect(fp.cudaGraphSource).toBe('measured')
    expect(fp.loadSeconds.engine).toBe(31.02)
  })

  it('keeps a measured graph size over an estimate that comes later', () => {
    const fp = parseFootprint(['Graph capturing finished in 4 secs, took 0.40 GiB', 'Estimated CUDA graph memory: 0.90 GiB total'])
    expect(fp.cudaGraphBytes).toBe(g(0.4))
  })

  it('reads the --kv-cache-memory-bytes line (§2.1) and marks the KV cache as specified', () => {
    const fp = parseFootprint(
      'INFO 05-19 09:00:00 [gpu_worker.py:380] Initial free memory 78.50 GiB, reserved 8.00 GiB memory for KV Cache as specified by kv_cache_memory_bytes config and skipped memory profiling. This does not respect the gpu_memory_utilization config.',
    )
    expect(fp.kvCacheBytes).toBe(g(8))
    expect(fp.kvCacheSource).toBe('specified')
  })

  it('reads the DEBUG breakdown lines of §2.1: weights, activation peak, non-torch, graphs, KV, profiling time', () => {
    const fp = parseFootprint([
      'DEBUG 05-19 09:00:00 [gpu_worker.py:640] Free memory on device (78.9/79.1 GiB) on startup. Desired GPU memory utilization is (0.92, 72.77 GiB). Actual usage is 14.99 GiB for weight, 1.45 GiB for peak activation, 0.32 GiB for non-torch memory, and 0.81 GiB for CUDAGraph memory. Replace gpu_memory_utilization config with `--kv-cache-memory=59864305254` (55.75 GiB) to fit into requested memory, or `--kv-cache-memory=66000000000` (61.47 GiB) to fully utilize gpu memory. Current kv cache memory in use is 55.2 GiB.',
      'DEBUG 05-19 09:00:00 [mem_utils.py:179] Memory profiling takes 2.31 seconds. Total non KV cache memory: 16.76GiB; torch peak memory increase: 1.45GiB; non-torch forward increase memory: 0.32GiB; weights memory: 14.99GiB.',
    ])
    expect(fp).toMatchObject({
      weightsBytes: g(14.99),
      activationPeakBytes: g(1.45),
      nonTorchBytes: g(0.32),
      cudaGraphBytes: g(0.81),
      cudaGraphSource: 'estimated',
      kvCacheBytes: g(55.2),
      nonKvBytes: g(16.76),
    })
    expect(fp.loadSeconds.profiling).toBe(2.31)
    expect(fixedNeedBytes(fp)).toBe(g(14.99) + g(1.45) + g(0.32) + g(0.81))
  })

  it('keeps the largest value when each tensor-parallel rank prints its own line', () => {
    const fp = parseFootprint([
      '(Worker_TP0 pid=90) INFO 08-17 20:38:38 [gpu_model_runner.py:5405] Model loading took 7.49 GiB memory and 6.1 seconds',
      '(Worker_TP1 pid=91) INFO 08-17 20:38:38 [gpu_model_runner.py:5405] Model loading took 7.51 GiB memory and 6.4 seconds',
    ])
    expect(fp.weightsBytes).toBe(g(7.51))
    expect(fp.loadSeconds.weights).toBe(6.4)
  })

  it('tolerates a partial or noisy log: unrelated lines change nothing, unknown fields stay null', () => {
    const fp = parseFootprint([
      '',
      'INFO Starting to load model Qwen/Qwen3-0.6B...',
      'garbage GiB 12',
      'Available KV cache memory: 3.5 GiB',
    ])
    expect(fp.kvCacheBytes).toBe(g(3.5))
    expect(fp.weightsBytes).toBeNull()
    expect(fp.kvCacheTokens).toBeNull()
    expect(isComplete(fp)).toBe(false)
    expect(kvBytesPerToken(fp)).toBeNull()
    expect(applyFootprintLine(emptyFootprint(), 'nothing')).toEqual(emptyFootprint())
  })
})

describe('the simulated vLLM prints lines in these shapes (test/sim/vllm/startup.js)', () => {
  it('reads the sim format strings for every version it simulates', () => {
    for (const took of ['1.1176 GiB and', '1.1176 GiB memory and', '1.12 GiB memory and']) {
      const fp = parseFootprint([
        `(EngineCore pid=1) INFO 12-05 08:00:00 [default_loader.py:267] Loading weights took 0.93 seconds`,
        `(EngineCore pid=1) INFO 12-05 08:00:00 [gpu_model_runner.py:2634] Model loading took ${took} 0.950000 seconds`,
        `(EngineCore pid=1) INFO 12-05 08:00:01 [gpu_worker.py:298] Available KV cache memory: 17.80 GiB`,
        `(EngineCore pid=1) INFO 12-05 08:00:01 [kv_cache_utils.py:1087] GPU KV cache size: 166,656 tokens`,
        `(EngineCore pid=1) INFO 12-05 08:00:02 [gpu_model_runner.py:3480] Graph capturing finished in 1 secs, took 0.12 GiB`,
        `(EngineCore pid=1) INFO 12-05 08:00:02 [core.py:210] init engine (profile, create kv cache, warmup model) took 2.10 s`,
      ])
      expect(isComplete(fp)).toBe(true)
      expect(fp.weightsBytes! / GiB).toBeCloseTo(1.12, 1)
      expect(fp.loadSeconds).toMatchObject({ weights: 0.95, graphs: 1, engine: 2.1 })
    }
  })
})

describe('fixedNeedBytes', () => {
  const info = parseFootprint([
    'Model loading took 15.0 GiB memory and 5 seconds',
    'Available KV cache memory: 50.0 GiB',
    'GPU KV cache size: 409,600 tokens',
  ])

  it('from INFO lines alone: the start requested ceil(total × u) and vLLM gave the rest of it to the KV cache', () => {
    expect(fixedNeedBytes(info, { requestedBytes: g(70) })).toBe(g(70) - g(50))
    expect(fixedNeedBytes(info)).toBeNull()
  })

  it('adds graphs captured outside the fraction (≤ v0.20) but not those v0.21+ already subtracted', () => {
    const old = applyFootprintLine(info, 'Graph capturing finished in 5 secs, took 0.50 GiB')
    expect(fixedNeedBytes(old, { requestedBytes: g(70) })).toBe(g(20) + g(0.5))
    const v21 = applyFootprintLine(old, 'CUDA graph memory profiling is enabled (default since v0.21.0).')
    expect(fixedNeedBytes(v21, { requestedBytes: g(70) })).toBe(g(20))
  })
})

describe('parseSleepFacts (gateway-facts §1.7)', () => {
  it('reads freed and kept memory and the sleep and wake times', () => {
    const f = parseSleepFacts([
      '(EngineCore pid=5) INFO 12-05 08:00:00 [cumem.py:215] CuMemAllocator: sleep freed 71.25 GiB memory in total, of which 14.99 GiB is backed up in CPU and the rest 56.26 GiB is discarded directly.',
      '(EngineCore pid=5) INFO 12-05 08:00:00 [gpu_worker.py:180] Sleep mode freed 71.25 GiB memory, 1.38 GiB memory is still in use.',
      '(EngineCore pid=5) INFO 12-05 08:00:00 [abstract.py:330] It took 0.812345 seconds to fall asleep.',
      "(EngineCore pid=5) INFO 12-05 08:01:00 [abstract.py:350] It took 0.260000 seconds to wake up tags {'weights', 'kv_cache'}.",
    ])
    expect(f).toEqual({
      freedBytes: g(71.25),
      stillInUseBytes: g(1.38),
      backedUpBytes: g(14.99),
      fallAsleepSeconds: 0.812345,
      wakeSeconds: 0.26,
    })
  })

  it('is all null without sleep lines', () => {
    expect(Object.values(parseSleepFacts('Model loading took 1 GiB and 1 seconds')).every((v) => v === null)).toBe(true)
  })
})
