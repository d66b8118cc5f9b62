import { describe, expect, it } from 'vitest'
import { RequestLog, type GatewayLogEntry } from './request-log'

const entry = (i: number): GatewayLogEntry => ({
  time: i,
  method: 'POST',
  path: '/v1/chat/completions',
  model: 'm',
  backend: 'm',
  key: null,
  status: 200,
  latencyMs: 1,
  ttftMs: 1,
  tokensIn: null,
  tokensOut: null,
  coldStart: false,
  heldMs: null,
})

describe('RequestLog', () => {
  it('keeps the last 1,000 requests, newest first, and tells listeners of each', () => {
    const log = new RequestLog()
    const seen: number[] = []
    log.subscribe((e) => seen.push(e.time))
    for (let i = 0; i < 1234; i++) log.add(entry(i))
    const all = log.list()
    expect(all).toHaveLength(1000)
    expect(all[0]?.time).toBe(1233)
    expect(all[999]?.time).toBe(234)
    expect(log.list(2).map((e) => e.time)).toEqual([1233, 1232])
    expect(seen).toHaveLength(1234)
  })
})
