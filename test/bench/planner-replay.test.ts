import { describe, expect, it } from 'vitest'
import { lruPolicy, oursPolicy, swapPolicy } from '../../bench/lib/policies.js'
import { replay } from '../../bench/lib/replay.js'
import { makeTrace } from '../../bench/lib/trace.js'
import { planPlacement } from '../../src/main/core/planner/placement'

const GiB = 1024 ** 3
const traffic = [
  { id: 'chat', sessionsPerDay: 30, requestsPerSession: 5, gapSeconds: 20, durationSeconds: 4 },
  { id: 'code', sessionsPerDay: 10, requestsPerSession: 8, gapSeconds: 60, durationSeconds: 10 },
]

describe('the planner benchmark trace', () => {
  it('is the same for the same seed, different for another, sorted and within the day', () => {
    const a = makeTrace({ seed: 16, models: traffic })
    expect(makeTrace({ seed: 16, models: traffic })).toEqual(a)
    expect(makeTrace({ seed: 17, models: traffic })).not.toEqual(a)
    expect(a.length).toBeGreaterThan(50)
    expect(a.every((r, i) => i === 0 || r.at >= a[i - 1]!.at)).toBe(true)
    expect(a.every((r) => r.at >= 0 && r.at < 24 * 3600 && r.duration > 0)).toBe(true)
    // Bursty and following the day: more requests 9–18 h than in the 15 night hours.
    const day = a.filter((r) => r.at >= 9 * 3600 && r.at < 18 * 3600).length
    expect(day).toBeGreaterThan(a.length - day)
  })
})

describe('the replay accounting', () => {
  // One GPU of 10 GiB (9.5 usable); three 4 GiB models loading in 10, 20 and 30 s.
  const models = [
    { id: 'A', bytesPerGpu: 4 * GiB, loadSeconds: 10, alwaysOn: false },
    { id: 'B', bytesPerGpu: 4 * GiB, loadSeconds: 20, alwaysOn: false },
    { id: 'C', bytesPerGpu: 4 * GiB, loadSeconds: 30, alwaysOn: false },
  ]
  const gpus = [{ index: 0, totalBytes: 10 * GiB }]
  const trace = ['A', 'B', 'C', 'A'].map((model, n) => ({ at: n * 100, model, duration: 1, n }))

  it('LRU with stop-all discovery: every first start stops all idle models, a known one only what it must', () => {
    const r = replay({ trace, models, gpus, policy: lruPolicy() })
    // A (10 s); B unknown → stops A (20 s); C unknown → stops B (30 s); A known, fits beside C (10 s).
    expect(r).toMatchObject({ coldStarts: 4, coldStartSeconds: 70, evictions: 2, requestsFailed: 0, requests: 4 })
    expect(r.heldP95Seconds).toBe(30)
  })

  it('one model at a time stops the previous model on every change; the planner starts B beside A', () => {
    expect(replay({ trace, models, gpus, policy: swapPolicy() })).toMatchObject({ coldStarts: 4, coldStartSeconds: 70, evictions: 3 })
    const ours = replay({ trace, models, gpus, policy: oursPolicy({ planPlacement }) })
    // B fits beside A; C evicts A (idle longest), A then evicts B (idle longer than C).
    expect(ours).toMatchObject({ coldStarts: 4, coldStartSeconds: 70, evictions: 2, requestsFailed: 0 })
  })

  it('a held request fails after the hold limit while the model it needs cannot be admitted', () => {
    const busy = [
      { at: 0, model: 'A', duration: 1000, n: 0 },
      { at: 1, model: 'B', duration: 1, n: 1 },
    ]
    const big = [models[0]!, { ...models[1]!, bytesPerGpu: 6 * GiB }]
    const r = replay({ trace: busy, models: big, gpus, policy: lruPolicy(), holdLimitSeconds: 600 })
    // B unknown: discovery waits for A's request (1000 s) to finish; its request is dropped at 601 s.
    expect(r).toMatchObject({ coldStarts: 1, requestsFailed: 1 })
  })
})

describe('the replay with sleep', () => {
  const sleep = { keepsBytesPerGpu: 0.5 * GiB, hostBytes: 2 * GiB, level1WakeSeconds: 1, level2WakeSeconds: 3 }
  const models = ['A', 'B', 'C'].map((id) => ({ id, bytesPerGpu: 4 * GiB, loadSeconds: 40, alwaysOn: false, sleep }))
  const gpus = [{ index: 0, totalBytes: 10 * GiB }]
  const trace = ['A', 'B', 'C', 'A'].map((model, n) => ({ at: n * 100, model, duration: 1, n }))

  it('the planner puts a model to sleep instead of stopping it, and the next request wakes it', () => {
    const policy = oursPolicy({ planPlacement, sleep: true })
    const level1 = replay({ trace, models, gpus, policy, hostFreeBytes: 8 * GiB })
    // Three first starts; C puts A to sleep (level 1: host RAM holds its weights); A's request wakes it in 1 s after
    // B goes to sleep too (A's 4 GiB do not fit beside B, C and A's own 0.5 GiB).
    expect(level1).toMatchObject({ coldStarts: 3, coldStartSeconds: 120, wakes: 1, wakeSeconds: 1, evictions: 2, requestsFailed: 0 })
    const noRam = replay({ trace, models, gpus, policy: oursPolicy({ planPlacement, sleep: true }), hostFreeBytes: 0 })
    expect(noRam).toMatchObject({ coldStarts: 3, wakes: 1, wakeSeconds: 3 })
  })
})
