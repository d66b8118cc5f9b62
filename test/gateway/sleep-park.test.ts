import { describe, expect, it } from 'vitest'
import { GiB } from '../../src/main/core/planner/footprint-lines'
import { SleepPark, type SleepRecord } from '../../src/main/core/gateway/sleep-park'
import type { GatewayBackend } from '../../src/main/core/gateway/backends'
import type { Deployment } from '../../src/shared/contract/deployments'
import { chat } from '../sim/vllm-api-support'
import { engine, usedMiB } from '../sim/vllm-sleep-support'

/**
 * The gateway's sleep decisions against the simulated vLLM in-process (real HTTP, real log lines): level by host RAM,
 * the wake that level needs, the facts it reports, and the fallbacks.
 */
async function setup(o: { hostFreeBytes: number; devMode?: boolean; sleepMode?: 'auto' | 'off' }) {
  const e = await engine({ devMode: o.devMode })
  const d = {
    definition: { id: 'd1', sleepMode: o.sleepMode ?? 'auto', gpus: ['GPU-0'], tensorParallelSize: undefined },
    status: { state: 'ready', endpoint: `${e.base}/v1`, containerId: 'c1' },
  } as unknown as Deployment
  const facts: SleepRecord[] = []
  let changes = 0
  const park = new SleepPark({
    logLines: async () => e.log().split('\n'),
    onSleepFacts: (_id, f) => void facts.push(f),
    hostFreeBytes: () => o.hostFreeBytes,
    changed: () => void changes++,
  })
  const backend = { id: 'd1', state: 'ready', endpoint: d.status.endpoint } as GatewayBackend
  const ask = async () =>
    ((await (await e.post('/v1/chat/completions', chat('qwen'))).json()) as { choices: { message: { content: string } }[] }).choices[0]!
      .message.content
  return { e, d, park, facts, backend, ask, changes: () => changes }
}

describe('SleepPark', () => {
  it('parks at level 1 when host RAM holds the weights: sleeping, memory kept reported, woken with its wake seconds', async () => {
    const s = await setup({ hostFreeBytes: 64 * GiB })
    const awake = usedMiB()
    expect(await s.park.park(s.d)).toBe(true)
    expect(s.park.view(s.backend, s.d)).toMatchObject({ state: 'sleeping', endpoint: null })
    expect(usedMiB()).toBeLessThan(awake)
    expect(s.facts[0]).toMatchObject({ event: 'asleep', level: 1 })
    expect(s.facts[0]!.backedUpBytes! / GiB).toBeCloseTo(1.2, 1)
    expect(s.facts[0]!.stillInUseBytes).toBeGreaterThan(0)
    await s.park.wake(s.d, async () => expect.fail('no fallback'))
    expect(s.park.view(s.backend, s.d)).toBe(s.backend)
    expect(usedMiB()).toBe(awake)
    expect(s.facts[1]).toMatchObject({ event: 'awake', level: 1 })
    expect(s.facts[1]!.wakeSeconds).toBeGreaterThan(0)
    expect(await s.ask()).toMatch(/^[A-Z][a-z]/)
    expect(s.changes()).toBeGreaterThan(0)
  })

  it('parks at level 2 without host RAM for the weights, and wakes in the four steps (the model answers sense)', async () => {
    const s = await setup({ hostFreeBytes: 1 * GiB })
    expect(await s.park.park(s.d)).toBe(true)
    expect(s.facts[0]).toMatchObject({ event: 'asleep', level: 2, backedUpBytes: 0 })
    await s.park.wake(s.d, async () => expect.fail('no fallback'))
    expect(await s.ask()).toMatch(/^[A-Z][a-z]/)
  })

  it('does not park a deployment without sleep mode, nor one whose vLLM has no dev-mode routes (stop instead)', async () => {
    const off = await setup({ hostFreeBytes: 64 * GiB, sleepMode: 'off' })
    expect(await off.park.park(off.d)).toBe(false)
    const noDev = await setup({ hostFreeBytes: 64 * GiB, devMode: false })
    expect(await noDev.park.park(noDev.d)).toBe(false)
    expect(noDev.park.isAsleep('d1')).toBe(false)
  })

  it('a container that stopped or was replaced no longer counts as asleep', async () => {
    const s = await setup({ hostFreeBytes: 64 * GiB })
    await s.park.park(s.d)
    const replaced = { ...s.d, status: { ...s.d.status, containerId: 'c2' } } as Deployment
    expect(s.park.view(s.backend, replaced)).toBe(s.backend)
    expect(s.park.isAsleep('d1')).toBe(false)
  })
})
