import { describe, expect, it } from 'vitest'
import { formatDuration, formatRate, streamFigures } from './stream-figures'

describe('figures of a streamed reply', () => {
  it('TTFT from sending to the first token, speed over the tokens after it, latency to the end', () => {
    // sent at 1000, first token at 1250, then 10 more 50 ms apart (20 tokens/s), stream closed at 1800
    const chunks = [1250, ...Array.from({ length: 10 }, (_, i) => 1300 + i * 50)]
    expect(streamFigures(1000, chunks, 1800)).toEqual({ ttftMs: 250, latencyMs: 800, tokens: 11, tokensPerSecond: 20 })
  })

  it('while waiting: no TTFT and no speed yet; latency counts up to now', () => {
    expect(streamFigures(1000, [], 1400)).toEqual({ ttftMs: null, latencyMs: 400, tokens: 0, tokensPerSecond: null })
  })

  it('one token, or tokens arriving together, give no speed rather than infinity', () => {
    expect(streamFigures(0, [100], 150).tokensPerSecond).toBeNull()
    expect(streamFigures(0, [100, 100, 100], 150).tokensPerSecond).toBeNull()
    expect(streamFigures(0, [100, 100, 200], 250).tokensPerSecond).toBe(20)
  })

  it('formats for people', () => {
    expect(formatDuration(840.4)).toBe('840 ms')
    expect(formatDuration(1250)).toBe('1.25 s')
    expect(formatDuration(12_340)).toBe('12.3 s')
    expect(formatRate(null)).toBe('—')
    expect(formatRate(38.24)).toBe('38.2 tokens/s')
    expect(formatRate(143.6)).toBe('144 tokens/s')
  })
})
