import { describe, expect, it } from 'vitest'
import { memoryFailure, raisedFixedBytes } from './failure'
import { GiB } from './footprint-lines'

const MiB = 1024 ** 2

describe('memoryFailure', () => {
  it('free memory below the request (vllm-facts §3): the footprint is not at fault', () => {
    const log =
      'ValueError: Free memory on device cuda:0 (10.5/79.1 GiB) on startup is less than desired GPU memory utilization (0.9, 71.19 GiB). ' +
      'Decrease GPU memory utilization or reduce GPU memory used by other processes.'
    const f = memoryFailure(log)
    expect(f).toEqual({ kind: 'free-memory-changed', shortBytes: 0 })
    expect(raisedFixedBytes(10 * GiB, f!)).toBe(10 * GiB)
  })

  it('KV too small for one request: raise by needed − available, plus a margin', () => {
    const log =
      "ValueError: To serve at least one request with the model's max seq len (32768), (4.00 GiB KV cache is needed, which is larger " +
      'than the available KV cache memory (1.50 GiB). Based on the available memory, the estimated maximum model length is 12288.'
    const f = memoryFailure(log)!
    expect(f).toEqual({ kind: 'kv-too-small', shortBytes: 2.5 * GiB })
    expect(raisedFixedBytes(10 * GiB, f)).toBe(10 * GiB + 2.5 * GiB + GiB)
  })

  it('CUDA OOM: raise by the allocation that failed; no KV memory: by the KV that was planned', () => {
    const oom = memoryFailure(
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 23.55 GiB',
    )
    expect(oom).toEqual({ kind: 'cuda-oom', shortBytes: 2 * GiB })
    expect(memoryFailure('CUDA out of memory. Tried to allocate 512.00 MiB.')!.shortBytes).toBe(512 * MiB)
    expect(memoryFailure('ValueError: No available memory for the cache blocks. Try increasing', { plannedKvBytes: 3 * GiB })).toEqual({
      kind: 'no-kv-memory',
      shortBytes: 3 * GiB,
    })
    expect(raisedFixedBytes(GiB, oom!)).toBe(3 * GiB + 256 * MiB)
  })

  it('is null for a failure that is not about memory', () => {
    expect(memoryFailure('OSError: We could not connect to huggingface.co')).toBeNull()
  })
})
