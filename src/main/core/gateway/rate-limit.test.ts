import { describe, expect, it } from 'vitest'
import { RateLimiter } from './rate-limit'

describe('RateLimiter', () => {
  it('allows perMinute requests in any 60 s, then says when the next one may go', () => {
    let now = 0
    const rl = new RateLimiter(() => now)
    for (let i = 0; i < 3; i++) {
      now = i * 10_000
      expect(rl.take('k', 3)).toEqual({ ok: true })
    }
    now = 25_000
    expect(rl.take('k', 3)).toEqual({ ok: false, retryAfterS: 35 })
    now = 60_000
    expect(rl.take('k', 3)).toEqual({ ok: true })
    expect(rl.take('k', 3)).toEqual({ ok: false, retryAfterS: 10 })
    expect(rl.take('other', 3)).toEqual({ ok: true })
  })

  it('keeps keys apart and forgets a key', () => {
    const rl = new RateLimiter(() => 0)
    expect(rl.take('a', 1).ok).toBe(true)
    expect(rl.take('a', 1).ok).toBe(false)
    rl.forget('a')
    expect(rl.take('a', 1).ok).toBe(true)
  })

  it('stays exact over many requests (the log compacts)', () => {
    let now = 0
    const rl = new RateLimiter(() => now)
    let allowed = 0
    for (let i = 0; i < 20_000; i++) {
      now = i * 10 // 6000 requests a minute offered
      if (rl.take('k', 1000).ok) allowed++
    }
    // 200 s: 1000 in each started minute: 0–60, 60–120, 120–180, 180–200.
    expect(allowed).toBe(4000)
  })
})
