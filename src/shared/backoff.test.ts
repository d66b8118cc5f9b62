import { describe, expect, it } from 'vitest'
import { Backoff } from './backoff.js'

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap and starts over after reset', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 5000, jitter: 0 })
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000, 4000, 5000, 5000])
    expect(b.attempts).toBe(6)
    b.reset()
    expect(b.attempts).toBe(0)
    expect(b.next()).toBe(500)
  })

  it('spreads delays by ± jitter, never past the cap', () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.2 }, () => 0)
    const high = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.2 }, () => 1)
    expect(low.next()).toBe(800)
    expect(high.next()).toBe(1000)
    const mid = new Backoff({ initialMs: 1000, maxMs: 10_000, jitter: 0.2 }, () => 1)
    expect(mid.next()).toBe(1200)
  })
})
