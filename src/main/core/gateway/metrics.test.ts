import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { GatewayMetrics } from './metrics'

const entry = { time: 0, method: 'POST', path: '/v1/chat/completions', model: 'm', backend: 'm', key: null }
const done = { ...entry, status: 200, latencyMs: 50, ttftMs: 10, tokensIn: 3, tokensOut: 7, coldStart: false, heldMs: null }

describe('GatewayMetrics', () => {
  it('a new gateway server on the same registry (a port change) keeps the counts and reads the live server', async () => {
    const registry = new Registry()
    new GatewayMetrics(registry, () => [{ model: 'm', inFlight: 5, held: 0 }]).request(done)
    const second = new GatewayMetrics(registry, () => [{ model: 'm', inFlight: 1, held: 2 }])
    second.request(done)
    const text = await registry.metrics()
    expect(text).toContain('inferadmin_gateway_requests_total{model="m",status="200"} 2')
    expect(text).toContain('inferadmin_gateway_tokens_total{model="m",direction="out"} 14')
    expect(text).toContain('inferadmin_gateway_in_flight{model="m"} 1')
    expect(text).toContain('inferadmin_gateway_held{model="m"} 2')
  })
})
