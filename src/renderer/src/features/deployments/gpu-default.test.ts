import { describe, expect, it } from 'vitest'
import type { GpusSnapshot } from '@shared/contract/gpu'
import { defaultGpus } from './gpu-default'

const snap = (free: (number | null)[]): GpusSnapshot =>
  ({ gpus: free.map((f, index) => ({ index, uuid: `GPU-${index}`, memoryFreeMiB: f })) }) as unknown as GpusSnapshot

describe('defaultGpus', () => {
  it('picks the GPU with the most free memory, the lower index on a tie', () => {
    expect(defaultGpus(snap([22_000, 23_500]))).toEqual(['GPU-1'])
    expect(defaultGpus(snap([23_500, 23_500]))).toEqual(['GPU-0'])
    expect(defaultGpus(snap([null, 1_000]))).toEqual(['GPU-1'])
  })
  it('picks none without telemetry', () => {
    expect(defaultGpus(null)).toEqual([])
    expect(defaultGpus(snap([]))).toEqual([])
    expect(defaultGpus(snap([null]))).toEqual([])
  })
})
