import { describe, expect, it } from 'vitest'
import { GpuHistoryStore } from './history'
import { SeriesRing } from './ring-buffer'

describe('SeriesRing', () => {
  it('keeps the newest `capacity` samples in order and nulls as null', () => {
    const r = new SeriesRing(3, ['a', 'b'] as const)
    for (let i = 1; i <= 5; i++) r.push(i * 1000, { a: i, b: i % 2 ? null : i * 10 })
    expect(r.size).toBe(3)
    expect(r.since(0)).toEqual({ t: [3000, 4000, 5000], a: [3, 4, 5], b: [null, 40, null] })
    expect(r.since(4000).t).toEqual([4000, 5000])
  })

  it('holds one hour at 1 Hz without losing the first sample', () => {
    const r = new SeriesRing(3600, ['v'] as const)
    for (let i = 0; i < 3600; i++) r.push(i * 1000, { v: i })
    const all = r.since(0)
    expect(all.t.length).toBe(3600)
    expect(all.v[0]).toBe(0)
    r.push(3600 * 1000, { v: 3600 })
    expect(r.since(0).v[0]).toBe(1)
  })

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new SeriesRing(0, ['v'] as const)).toThrow(/positive integer/)
  })
})

describe('GpuHistoryStore', () => {
  it('keeps one series per GPU, sorted by index', () => {
    const h = new GpuHistoryStore(10)
    const row = (index: number, used: number) => ({
      index,
      uuid: `GPU-${index}`,
      name: 'NVIDIA GeForce RTX 4090',
      memoryTotalMiB: 24564,
      memoryUsedMiB: used,
      memoryFreeMiB: 24564 - used,
      utilizationPct: 5,
      powerDrawW: null,
      powerLimitW: 450,
      temperatureC: 40,
      driverVersion: '570.124.06',
    })
    h.push(1000, [row(1, 2), row(0, 812)])
    h.push(2000, [row(1, 3), row(0, 3812)])
    const s = h.since(0)
    expect(s.map((g) => g.index)).toEqual([0, 1])
    expect(s[0]).toMatchObject({ uuid: 'GPU-0', t: [1000, 2000], memoryUsedMiB: [812, 3812], powerDrawW: [null, null] })
  })
})
