import { describe, expect, it } from 'vitest'
import type { PlannerGpu, PlannerModel } from './evict'
import { GiB } from './footprint-lines'
import { planPlacement, type PlacementInput } from './placement'

const NOW = 1_800_000_000_000
const gpu = (index: number, usedBy: number, external = 0): PlannerGpu => ({
  index,
  name: 'RTX 4090',
  totalBytes: 24 * GiB,
  freeBytes: 24 * GiB - usedBy - external,
  externalBytes: external,
})
const model = (id: string, gpus: number[], bytes: number, o: Partial<PlannerModel> = {}): PlannerModel => ({
  id,
  gpus,
  reservedBytesPerGpu: bytes,
  state: 'running',
  inFlight: 0,
  alwaysOn: false,
  lastUsedAt: NOW - 600_000,
  loadSeconds: 30,
  requestTimes: [],
  ...o,
})
const input = (gpus: PlannerGpu[], models: PlannerModel[], need: PlacementInput['need']): PlacementInput => ({
  now: NOW,
  gpus,
  models,
  hostRamFreeBytes: 0,
  need,
})

describe('planPlacement', () => {
  it('any 1 GPU: the best fit without eviction (least left over)', () => {
    const models = [model('a', [0], 4 * GiB), model('b', [1], 12 * GiB)]
    const p = planPlacement(input([gpu(0, 4 * GiB), gpu(1, 12 * GiB), gpu(2, 0)], models, { bytesPerGpu: 8 * GiB, count: 1 }))
    expect(p.gpus).toEqual([1])
    expect(p.plan.kind).toBe('fits')
  })

  it('any 2 GPUs: avoids a GPU another program fills, and evicts the cheapest pair when nothing fits as is', () => {
    const gpus = [gpu(0, 0, 20 * GiB), gpu(1, 16 * GiB), gpu(2, 16 * GiB)]
    const models = [
      model('cheap', [1], 16 * GiB, { loadSeconds: 5 }),
      model('dear', [2], 16 * GiB, { loadSeconds: 200, requestTimes: [NOW - 60_000, NOW - 120_000] }),
    ]
    const p = planPlacement(input(gpus, models, { bytesPerGpu: 10 * GiB, count: 2 }))
    expect(p.gpus).toEqual([1, 2])
    expect(p.plan.kind === 'evict' && p.plan.actions.map((a) => a.modelId).sort()).toEqual(['cheap', 'dear'])
    const roomy = planPlacement(input([...gpus, gpu(3, 0)], models, { bytesPerGpu: 10 * GiB, count: 2 }))
    expect(roomy.gpus).toEqual([1, 3])
    expect(roomy.plan.kind === 'evict' && roomy.plan.actions.map((a) => a.modelId)).toEqual(['cheap'])
  })

  it('pinned GPUs are used as given; too many GPUs asked is refused with the count', () => {
    const gpus = [gpu(0, 0), gpu(1, 0)]
    expect(planPlacement(input(gpus, [], { bytesPerGpu: GiB, count: 1, pinned: [1] }))).toMatchObject({ gpus: [1], plan: { kind: 'fits' } })
    const p = planPlacement(input(gpus, [], { name: 'big', bytesPerGpu: GiB, count: 4 }))
    expect(p.plan.kind === 'cannot-fit' && p.plan.message).toBe('big needs 4 GPUs; this machine has 2')
    expect(() => planPlacement(input(gpus, [], { bytesPerGpu: GiB, count: 2, pinned: [0] }))).toThrow('pin exactly 2')
  })
})
