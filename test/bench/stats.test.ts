import { describe, expect, it } from 'vitest'
import { added, addedLatencyGoal, goal, percentile, ratio, summarize } from '../../bench/lib/stats.js'
import { nginxConf } from '../../bench/lib/nginx.js'

describe('benchmark figures', () => {
  it('takes percentiles by nearest rank, whatever the order of the samples', () => {
    const ms = Array.from({ length: 100 }, (_, i) => 100 - i) // 100 … 1
    expect(percentile(ms, 50)).toBe(50)
    expect(percentile(ms, 99)).toBe(99)
    expect(percentile(ms, 100)).toBe(100)
    expect(percentile(ms, 0)).toBe(1)
    expect(percentile([7], 99)).toBe(7)
    expect(percentile([], 50)).toBeNull()
    expect(() => percentile([1], 101)).toThrow(/p must be within 0..100, got 101/)
  })

  it('summarises p50 and p99 to two decimals and subtracts direct from a proxy', () => {
    const s = summarize([1.234, 2.345, 3.456])
    expect(s).toEqual({ n: 3, p50: 2.35, p99: 3.46 })
    expect(added({ n: 3, p50: 3, p99: 10 }, { n: 3, p50: 2.5, p99: 12 })).toEqual({ p50: 0.5, p99: -2 })
    expect(added({ n: 0, p50: null, p99: null }, s)).toEqual({ p50: null, p99: null })
  })

  it('gives no ratio to nothing: a non-positive denominator or a missing figure', () => {
    expect(ratio(3, 2)).toBe(1.5)
    expect(ratio(1, 3)).toBe(0.33)
    expect(ratio(1, 0)).toBeNull()
    expect(ratio(1, -0.2)).toBeNull()
    expect(ratio(null, 2)).toBeNull()
  })

  it('reports goals as met or not, never throwing', () => {
    expect(goal('≥ 0.95× direct', 0.97, 'atLeast', 0.95).met).toBe(true)
    expect(goal('≥ 0.95× direct', 0.9, 'atLeast', 0.95).met).toBe(false)
    expect(goal('≤ 100 ms', 100, 'atMost', 100).met).toBe(true)
    expect(goal('≤ 100 ms', null, 'atMost', 100).met).toBeNull()
  })

  it('compares added latencies directly, so the goal holds even when nginx adds nothing measurable', () => {
    expect(addedLatencyGoal(1.2, 1, 1.2)).toMatchObject({ value: 1.2, met: true })
    expect(addedLatencyGoal(1.3, 1, 1.2)).toMatchObject({ value: 1.3, met: false })
    // nginx measured as fast as direct (noise): no ratio, and the gateway must not add more than nginx did
    expect(addedLatencyGoal(0.1, -0.05, 1.2)).toMatchObject({ value: null, met: false })
    expect(addedLatencyGoal(-0.1, -0.05, 1.2)).toMatchObject({ value: null, met: true })
    expect(addedLatencyGoal(null, 1, 1.2).met).toBeNull()
  })

  it('configures nginx as the comparison needs: unbuffered, keep-alive upstream, everything in its own directory', () => {
    const conf = nginxConf({ dir: '/tmp/x', listenPort: 4321, upstream: '127.0.0.1:9000' })
    for (const line of [
      'proxy_buffering off;',
      'proxy_http_version 1.1;',
      'proxy_set_header Connection "";',
      'keepalive 128;',
      'server 127.0.0.1:9000;',
      'listen 127.0.0.1:4321;',
      'pid /tmp/x/nginx.pid;',
      'error_log /tmp/x/error.log warn;',
    ])
      expect(conf).toContain(line)
    expect(conf.match(/_temp_path (\S+);/g)?.every((l) => l.includes('/tmp/x/'))).toBe(true)
  })
})
