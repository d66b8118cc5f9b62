import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { throttle } from './throttle'

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

describe('throttle (leading + trailing)', () => {
  it('runs the first call at once and collapses a burst into one trailing run a second later', () => {
    const run = vi.fn()
    const t = throttle(run, 1000)
    t()
    expect(run).toHaveBeenCalledTimes(1)
    for (let i = 0; i < 10; i++) t()
    vi.advanceTimersByTime(999)
    expect(run).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1)
    expect(run).toHaveBeenCalledTimes(2)
  })

  it('never runs more than once a second under a steady stream of changes', () => {
    const at: number[] = []
    const t = throttle(() => at.push(Date.now()), 1000)
    const start = Date.now()
    for (let ms = 0; ms < 5000; ms += 100) {
      t()
      vi.advanceTimersByTime(100)
    }
    expect(at.map((ms) => ms - start)).toEqual([0, 1000, 2000, 3000, 4000, 5000])
  })

  it('has no trailing run without a call in the window, and runs at once again after a quiet second', () => {
    const run = vi.fn()
    const t = throttle(run, 1000)
    t()
    vi.advanceTimersByTime(5000)
    expect(run).toHaveBeenCalledTimes(1)
    t()
    expect(run).toHaveBeenCalledTimes(2)
  })

  it('drops the pending run when cancelled', () => {
    const run = vi.fn()
    const t = throttle(run, 1000)
    t()
    t()
    t.cancel()
    vi.advanceTimersByTime(2000)
    t()
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('refuses a negative delay', () => {
    expect(() => throttle(() => undefined, -1)).toThrow(/0 ms or more/)
  })
})
