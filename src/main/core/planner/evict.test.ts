import { describe, expect, it } from 'vitest'
import { planEviction, neededSoonProbability, usableBytes, type EvictionInput, type PlannerGpu, type PlannerModel } from './evict'
import { GiB } from './footprint-lines'

const NOW = 1_800_000_000_000
const MIN = 60_000
const gpu = (index: number, o: Partial<PlannerGpu> = {}): PlannerGpu => ({
  index,
  name: 'RTX 4090',
  totalBytes: 24 * GiB,
  freeBytes: 24 * GiB,
  externalBytes: 0,
  ...o,
})
const model = (id: string, o: Partial<PlannerModel> = {}): PlannerModel => ({
  id,
  gpus: [0],
  reservedBytesPerGpu: 8 * GiB,
  state: 'running',
  inFlight: 0,
  alwaysOn: false,
  lastUsedAt: NOW - 10 * MIN,
  loadSeconds: 30,
  requestTimes: [],
  ...o,
})
/** A GPU whose live free memory is what the models leave. */
const withModels = (g: PlannerGpu, models: PlannerModel[]): PlannerGpu => ({
  ...g,
  freeBytes: g.totalBytes - g.externalBytes - models.filter((m) => m.gpus.includes(g.index)).reduce((s, m) => s + m.reservedBytesPerGpu, 0),
})
const input = (models: PlannerModel[], need: number, o: Partial<EvictionInput> = {}): EvictionInput => {
  const gpus = (o.gpus ?? [gpu(0)]).map((g) => withModels(g, models))
  return { now: NOW, need: { name: 'new-model', gpus: [0], bytesPerGpu: need }, models, hostRamFreeBytes: 0, ...o, gpus }
}
const burst = (n: number, everyMin: number): number[] => Array.from({ length: n }, (_, i) => NOW - i * everyMin * MIN)

describe('planEviction', () => {
  it("a fixed utilization of exactly maxFraction fits an empty GPU (its requested bytes round up as vLLM's do)", () => {
    const g = gpu(0, { totalBytes: 23.6 * GiB + 123, freeBytes: 23.6 * GiB + 123 })
    const need = Math.ceil(g.totalBytes * 0.95)
    expect(planEviction({ now: NOW, need: { gpus: [0], bytesPerGpu: need }, gpus: [g], models: [], hostRamFreeBytes: 0 }).kind).toBe('fits')
    expect(planEviction({ now: NOW, need: { gpus: [0], bytesPerGpu: need + 1 }, gpus: [g], models: [], hostRamFreeBytes: 0 }).kind).toBe(
      'cannot-fit',
    )
  })

  it('fits without eviction when usable memory (≤ 0.95 × total, live free) covers the need', () => {
    const models = [model('a')]
    expect(planEviction(input(models, 14 * GiB))).toEqual({ kind: 'fits', actions: [], expectedCostSeconds: 0 })
    // 24 × 0.95 − 8 = 14.8 GiB usable: 15 GiB does not fit although 16 GiB are free.
    expect(planEviction(input(models, 15 * GiB)).kind).toBe('evict')
  })

  it('evicts the cheapest expected reload, not the least recently used', () => {
    // "old" was used 50 min ago but gets a request every 5 minutes and takes 90 s to load;
    // "recent" was used 5 min ago, once in the hour, and loads in 20 s.
    const old = model('old', { lastUsedAt: NOW - 50 * MIN, loadSeconds: 90, requestTimes: burst(10, 1).map((t) => t - 50 * MIN) })
    const recent = model('recent', { lastUsedAt: NOW - 5 * MIN, loadSeconds: 20, requestTimes: [NOW - 5 * MIN] })
    const plan = planEviction(input([old, recent], 10 * GiB))
    expect(plan.kind).toBe('evict')
    if (plan.kind !== 'evict') return
    expect(plan.actions.map((a) => [a.kind, a.modelId])).toEqual([['stop', 'recent']])
    expect(plan.actions[0]!.reason).toMatch(/^stop recent: idle 5 min, reload ~20 s, \d+% likely needed in the next 10 min/)
  })

  it('evicts as few as needed, and both when one is not enough', () => {
    const models = [model('a', { loadSeconds: 10 }), model('b', { loadSeconds: 40 })]
    const one = planEviction(input(models, 12 * GiB))
    expect(one.kind === 'evict' && one.actions.map((a) => a.modelId)).toEqual(['a'])
    const two = planEviction(input(models, 20 * GiB))
    expect(two.kind === 'evict' && two.actions.map((a) => a.modelId).sort()).toEqual(['a', 'b'])
  })

  it('never touches always-on or in-flight models; refuses naming what holds the memory', () => {
    const models = [model('embed', { alwaysOn: true, reservedBytesPerGpu: 6 * GiB }), model('chat', { inFlight: 2 })]
    // Draining chat would leave 13.80 GiB: still short of 14, so no waiting either.
    const plan = planEviction(input(models, 14 * GiB, { gpus: [gpu(0, { externalBytes: 3 * GiB })] }))
    expect(plan.kind).toBe('cannot-fit')
    if (plan.kind !== 'cannot-fit') return
    expect(plan.message).toBe(
      'GPU 0 (RTX 4090): new-model needs 14.00 GiB, 5.80 GiB free; held by embed 6.00 GiB (always-on), chat 8.00 GiB (2 requests in flight), other programs 3.00 GiB',
    )
    expect(plan.holders.map((h) => [h.modelId, h.why])).toEqual([
      ['embed', 'always-on'],
      ['chat', 'in-flight'],
      [null, 'external'],
    ])
    expect(plan.retryAfterSeconds).toBe(15)
  })

  it('waits for a busy model to drain when that alone would make room, rather than cut its requests', () => {
    const models = [model('busy', { inFlight: 1, reservedBytesPerGpu: 12 * GiB }), model('idle', { reservedBytesPerGpu: 4 * GiB })]
    const plan = planEviction(input(models, 14 * GiB))
    expect(plan.kind).toBe('wait')
    if (plan.kind !== 'wait') return
    expect(plan.modelIds).toEqual(['busy'])
    expect(plan.message).toContain('busy 12.00 GiB (1 request in flight)')
  })

  it('says when external use alone leaves no room, and when the need exceeds the GPU', () => {
    const ext = planEviction(input([], 20 * GiB, { gpus: [gpu(0, { externalBytes: 6 * GiB })] }))
    expect(ext.kind === 'cannot-fit' && ext.message).toBe(
      'GPU 0 (RTX 4090): new-model needs 20.00 GiB, 16.80 GiB free; held by other programs 6.00 GiB',
    )
    const huge = planEviction(input([], 30 * GiB))
    expect(huge.kind === 'cannot-fit' && huge.message).toMatch(
      /needs 30\.00 GiB, more than the 22\.80 GiB usable on it .*give it more GPUs/,
    )
  })

  it('respects live free memory below what reservations suggest (3 GiB of new external use)', () => {
    const models = [model('a')]
    const gpus = [gpu(0)]
    const base = input(models, 12 * GiB, { gpus })
    expect(planEviction(base).kind).toBe('fits')
    const live = { ...base, gpus: [{ ...base.gpus[0]!, freeBytes: base.gpus[0]!.freeBytes - 3 * GiB }] }
    expect(usableBytes(live).get(0)).toBe(13 * GiB)
    expect(planEviction({ ...live, need: { ...live.need, bytesPerGpu: 14 * GiB } }).kind).toBe('evict')
  })

  it('TP=2 needs room on both GPUs: stops what blocks GPU 1 too, and only models on the needed GPUs', () => {
    const gpus = [gpu(0), gpu(1), gpu(2)]
    const models = [
      model('g0', { gpus: [0], reservedBytesPerGpu: 16 * GiB, loadSeconds: 10 }),
      model('g1', { gpus: [1], reservedBytesPerGpu: 16 * GiB, loadSeconds: 10 }),
      model('g2', { gpus: [2], reservedBytesPerGpu: 16 * GiB, loadSeconds: 1 }),
    ]
    const plan = planEviction(input(models, 10 * GiB, { gpus, need: { gpus: [0, 1], bytesPerGpu: 10 * GiB } }))
    expect(plan.kind === 'evict' && plan.actions.map((a) => a.modelId).sort()).toEqual(['g0', 'g1'])
    // A TP=2 model on both frees both at once.
    const tp = [model('tp2', { gpus: [0, 1], reservedBytesPerGpu: 16 * GiB })]
    const p2 = planEviction(input(tp, 10 * GiB, { gpus, need: { gpus: [0, 1], bytesPerGpu: 10 * GiB } }))
    expect(p2.kind === 'evict' && p2.actions.map((a) => a.modelId)).toEqual(['tp2'])
    // Room on GPU 0 only is not room.
    const blocked = [model('pin', { gpus: [1], alwaysOn: true, reservedBytesPerGpu: 20 * GiB })]
    const p3 = planEviction(input(blocked, 10 * GiB, { gpus, need: { gpus: [0, 1], bytesPerGpu: 10 * GiB } }))
    expect(p3.kind === 'cannot-fit' && p3.message).toMatch(/^GPU 1 \(RTX 4090\): .*held by pin 20\.00 GiB \(always-on\)$/)
  })

  it('sleeps instead of stopping when the image supports it and host RAM holds the weights (level 1), else level 2', () => {
    const sleep = { keepsBytesPerGpu: 1 * GiB, hostBytes: 7 * GiB, level1WakeSeconds: 0.5, level2WakeSeconds: 2 }
    const models = [model('s', { sleep, requestTimes: burst(6, 10) })]
    const l1 = planEviction(input(models, 20 * GiB, { hostRamFreeBytes: 32 * GiB }))
    expect(l1.kind === 'evict' && l1.actions.map((a) => [a.kind, a.level, a.freesBytesPerGpu])).toEqual([['sleep', 1, 7 * GiB]])
    const l2 = planEviction(input(models, 20 * GiB, { hostRamFreeBytes: 2 * GiB }))
    expect(l2.kind === 'evict' && l2.actions.map((a) => [a.kind, a.level])).toEqual([['sleep', 2]])
    const noL2 = planEviction(input(models, 20 * GiB, { hostRamFreeBytes: 2 * GiB, options: { allowLevel2: false } }))
    expect(noL2.kind === 'evict' && noL2.actions.map((a) => a.kind)).toEqual(['stop'])
    // What stays on the GPU while asleep may not be enough: then it must be stopped.
    const tight = planEviction(input(models, 22 * GiB, { hostRamFreeBytes: 32 * GiB }))
    expect(tight.kind === 'evict' && tight.actions.map((a) => a.kind)).toEqual(['stop'])
  })

  it('a sleeping model holds only what stays on the GPU and can be stopped for it', () => {
    const sleep = { keepsBytesPerGpu: 2 * GiB, hostBytes: 7 * GiB, level1WakeSeconds: 0.5, level: 1 as const }
    const m = model('z', { state: 'sleeping', sleep })
    const inp = input([m], 21 * GiB)
    inp.gpus = [gpu(0, { freeBytes: 22 * GiB })]
    expect(usableBytes(inp).get(0)).toBe(Math.ceil(0.95 * 24 * GiB) - 2 * GiB)
    const plan = planEviction(inp)
    expect(plan.kind === 'evict' && plan.actions.map((a) => [a.kind, a.modelId, a.freesBytesPerGpu])).toEqual([['stop', 'z', 2 * GiB]])
  })

  it('names an unknown GPU and rejects a negative need', () => {
    const plan = planEviction(input([], GiB, { need: { gpus: [5], bytesPerGpu: GiB } }))
    expect(plan.kind === 'cannot-fit' && plan.message).toBe('GPU 5 does not exist')
    expect(() => planEviction(input([], -1))).toThrow(/bytesPerGpu \(-1\) must be ≥ 0/)
  })
})

describe('neededSoonProbability', () => {
  it('grows with the request rate and shrinks with idle time', () => {
    const busy = neededSoonProbability(model('a', { requestTimes: burst(30, 2) }), NOW)
    const rare = neededSoonProbability(model('b', { requestTimes: [NOW - 30 * MIN] }), NOW)
    const idleLong = neededSoonProbability(model('c', { lastUsedAt: NOW - 600 * MIN }), NOW)
    const idleShort = neededSoonProbability(model('d', { lastUsedAt: NOW - 70 * MIN }), NOW)
    expect(busy).toBeGreaterThan(rare)
    expect(idleShort).toBeGreaterThan(idleLong)
    for (const p of [busy, rare, idleLong, idleShort]) {
      expect(p).toBeGreaterThan(0)
      expect(p).toBeLessThan(1)
    }
  })
})
