import { describe, expect, it } from 'vitest'
import {
  browserUrl,
  coldStartNote,
  formatAgo,
  formatDeadline,
  formatDuration,
  formatLatency,
  formatTokens,
  loadingNote,
  requester,
  statusVariant,
} from './format'

const now = Date.parse('2026-12-05T12:00:00Z')
const at = (s: number): string => new Date(now + s * 1000).toISOString()
const loaded = { serve: 'on-demand' as const, state: 'loaded' as const, inFlight: 0, held: 0 }

describe('gateway formatting', () => {
  it('durations read as people say them', () => {
    expect(formatDuration(44.6)).toBe('45 s')
    expect(formatDuration(60)).toBe('1 min')
    expect(formatDuration(260)).toBe('4 min 20 s')
    expect(formatDuration(7500)).toBe('2 h 5 min')
    expect(formatDuration(-3)).toBe('0 s')
  })

  it('the unload deadline counts down, and says why there is none', () => {
    expect(formatDeadline(at(260), now, loaded)).toBe('in 4 min 20 s')
    expect(formatDeadline(at(0.4), now, loaded)).toBe('any moment')
    expect(formatDeadline(at(-5), now, loaded)).toBe('any moment')
    expect(formatDeadline(null, now, { ...loaded, inFlight: 1 })).toBe('not while requests run')
    expect(formatDeadline(null, now, loaded)).toBe('never (idle unload off)')
    expect(formatDeadline(null, now, { ...loaded, state: 'cold' })).toBe('—')
    expect(formatDeadline(null, now, { ...loaded, serve: 'always-on' })).toBe('never (always on)')
  })

  it('last used is relative to now', () => {
    expect(formatAgo(null, now)).toBe('never')
    expect(formatAgo(at(-1), now)).toBe('just now')
    expect(formatAgo(at(-12), now)).toBe('12 s ago')
    expect(formatAgo(at(-190), now)).toBe('3 min ago')
    expect(formatAgo(at(-7300), now)).toBe('2 h ago')
    expect(formatAgo('garbage', now)).toBe('—')
  })

  it('a loading model shows its phase, progress and time left', () => {
    expect(loadingNote({ phase: 'weights', progress: 0.423, etaSeconds: 65 })).toBe('loading weights · 42% · about 1 min 5 s left')
    expect(loadingNote({ phase: null, progress: null, etaSeconds: null })).toBe('starting')
  })

  it('log cells: latency, tokens, who, cold start, status colour', () => {
    expect(formatLatency(85.4)).toBe('85 ms')
    expect(formatLatency(1234)).toBe('1.2 s')
    expect(formatLatency(243_000)).toBe('4 min 3 s')
    expect(formatLatency(null)).toBe('—')
    expect(formatTokens({ tokensIn: 12, tokensOut: 340 })).toBe('12 / 340')
    expect(formatTokens({ tokensIn: null, tokensOut: null })).toBe('—')
    expect(requester({ key: null })).toBe('this machine (no key)')
    expect(requester({ key: 'laptop' })).toBe('laptop')
    expect(coldStartNote({ coldStart: true, heldMs: 42_000 })).toBe('yes (held 42.0 s)')
    expect(coldStartNote({ coldStart: false, heldMs: null })).toBe('no')
    expect(statusVariant(200)).toBe('success')
    expect(statusVariant(429)).toBe('warning')
    expect(statusVariant(503)).toBe('destructive')
  })

  it('the URL shown uses the page host only for a wildcard bind opened from another machine', () => {
    const any = { url: 'http://127.0.0.1:8000/v1', host: '0.0.0.0' }
    expect(browserUrl(any, { protocol: 'http:', hostname: 'gpu-box.lan' })).toBe('http://gpu-box.lan:8000/v1')
    expect(browserUrl(any, { protocol: 'http:', hostname: '127.0.0.1' })).toBe('http://127.0.0.1:8000/v1')
    expect(browserUrl(any, { protocol: 'app:', hostname: 'renderer' })).toBe('http://127.0.0.1:8000/v1')
    expect(browserUrl({ url: 'http://127.0.0.1:8000/v1', host: '127.0.0.1' }, { protocol: 'http:', hostname: 'x' })).toBe(
      'http://127.0.0.1:8000/v1',
    )
    expect(browserUrl({ url: null, host: '0.0.0.0' }, null)).toBeNull()
  })
})
