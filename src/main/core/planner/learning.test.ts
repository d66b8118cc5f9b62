import { describe, expect, it } from 'vitest'
import type { GpusSnapshot, GpuState } from '../../../shared/contract/gpu'
import type { LearnedFootprint } from './learned'
import { footprintView, gpuNamesOf, measuredBytesPerGpu, requestedBytesOf, retryAfterFailure, startKey, utilizationOf } from './learning'

const MiB = 1024 ** 2
const gpu = (uuid: string, o: Partial<GpuState> = {}, containers: [string, number][] = [], appsAt = '2026-01-01T00:00:10Z'): GpuState =>
  ({
    index: 0,
    uuid,
    name: 'NVIDIA GeForce RTX 4090',
    memoryTotalMiB: 24_564,
    memory: { containers: containers.map(([containerId, usedMiB]) => ({ containerId, usedMiB })), reservedMiB: 398, appsAt },
    ...o,
  }) as GpuState
const snap = (...gpus: GpuState[]): GpusSnapshot => ({ status: 'ok', at: null, intervalMs: 1000, fault: null, gpus })

const def = { image: 'vllm/vllm-openai:v0.21.0', gpus: ['GPU-a'], args: { '--max-model-len': 8192 }, argv: [] as string[] }

describe('learner decisions', () => {
  it('keys a start by commit, image, memory-relevant args (TP from the definition) and GPU names', () => {
    const s = snap(gpu('GPU-a'), gpu('GPU-b', { name: 'NVIDIA H100 80GB HBM3' }))
    const k = startKey(def, 'abc123', s)!
    expect(k).toBe('model=abc123|image=vllm/vllm-openai:v0.21.0|gpu=nvidia geforce rtx 4090|args=max-model-len=8192')
    // The utilization and the spelling of a flag do not change the key; TP 2 does.
    expect(startKey({ ...def, args: {}, argv: ['--max_model_len=8k', '--gpu-memory-utilization', '0.5'] }, 'abc123', s)).not.toBe(k)
    expect(startKey({ ...def, args: {}, argv: ['--max_model_len=8K', '--gpu-memory-utilization', '0.5'] }, 'abc123', s)).toBe(k)
    expect(startKey({ ...def, gpus: ['GPU-a', 'GPU-b'] }, 'abc123', s)).toContain('tensor-parallel-size=2')
    // Unknown commit or GPU: no key.
    expect(startKey(def, null, s)).toBeNull()
    expect(startKey({ ...def, gpus: ['GPU-gone'] }, 'abc123', s)).toBeNull()
    expect(gpuNamesOf([], s)).toEqual(['NVIDIA GeForce RTX 4090', 'NVIDIA H100 80GB HBM3'])
  })

  it('the requested memory: the start’s utilization (else the image default) of torch’s total on its first GPU', () => {
    expect(utilizationOf({ '--gpu-memory-utilization': 0.3 }, [], true)).toBe(0.3)
    expect(utilizationOf({}, ['--gpu_memory_utilization=0.6'], null)).toBe(0.6)
    expect(utilizationOf({}, [], true)).toBe(0.92)
    expect(utilizationOf({}, [], null)).toBe(0.9)
    expect(requestedBytesOf(['GPU-a'], snap(gpu('GPU-a')), 0.5)).toBe(Math.ceil((24_564 - 398) * MiB * 0.5))
    expect(requestedBytesOf(['GPU-x'], snap(gpu('GPU-a')), 0.5)).toBeNull()
  })

  it('measures the container on its busiest GPU, from samples taken after ready only', () => {
    const s = snap(gpu('GPU-a', {}, [['c1', 7000]]), gpu('GPU-b', {}, [['c1', 7200]], '2026-01-01T00:00:01Z'))
    expect(measuredBytesPerGpu(s, 'c1', '2026-01-01T00:00:05Z')).toBe(7000 * MiB)
    expect(measuredBytesPerGpu(s, 'c1', null)).toBe(7200 * MiB)
    expect(measuredBytesPerGpu(s, 'c2', null)).toBeNull()
  })

  it('retries a memory failure once per start request, and says so', () => {
    expect(retryAfterFailure(null, 0)).toEqual({ retry: false, note: null })
    expect(retryAfterFailure({ kind: 'cuda-oom', shortBytes: 1 }, 0)).toEqual({
      retry: true,
      note: 'Memory failure: vLLM ran out of memory (cuda-oom); the learned footprint was raised. Retrying once with the new numbers.',
    })
    expect(retryAfterFailure({ kind: 'free-memory-changed', shortBytes: 0 }, 0).note).toMatch(/other programs held GPU memory/)
    expect(retryAfterFailure({ kind: 'cuda-oom', shortBytes: 1 }, 1)).toMatchObject({
      retry: false,
      note: expect.stringMatching(/not retrying again/),
    })
  })

  it('the card: learned after a load, an estimate before', () => {
    const f = { fixedBytesPerGpu: 5, kvBytesPerToken: 2, loads: 0, failures: 1, measuredBytesPerGpu: null } as LearnedFootprint
    expect(footprintView(f)).toEqual({
      needsBytesPerGpu: 5,
      kvBytesPerToken: 2,
      loads: 0,
      failures: 1,
      measuredBytesPerGpu: null,
      source: 'estimate',
    })
    expect(footprintView({ ...f, loads: 2 })?.source).toBe('learned')
    expect(footprintView(undefined)).toBeNull()
  })
})
