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
async function setup(o: { hostFreeBytes: number; devMode?: boolean; sleepMode?: 'auto' | 'off'; linesTimeoutMs?: number }) {
  const e = await engine({ devMode: o.devMode })
  const d = {
    definition: { id: 'd1', sleepMode: o.sleepMode ?? 'auto', gpus: ['GPU-0'], tensorParallelSize: undefined },
    status: { state: 'ready', endpoint: `${e.base}/v1`, containerId: 'c1' },
  } as unknown as Deployment
  /** hidden: the container's log shows nothing yet (a slow log driver). */
  const log = { hidden: false }
  const facts: SleepRecord[] = []
  const waiters: Array<() => void> = []
  /** The i-th facts reported (they come in the background, once vLLM's lines are in the log). */
  const fact = async (i: number): Promise<SleepRecord> => {
    while (facts.length <= i) await new Promise<void>((r) => waiters.push(r))
    return facts[i]!
  }
  let changes = 0
  const park = new SleepPark({
    logLines: async () => (log.hidden ? [] : e.log().split('\n')),
    linesTimeoutMs: o.linesTimeoutMs ?? 3000,
    onSleepFacts: (_id, f) => {
      facts.push(f)
      waiters.splice(0).forEach((w) => w())
    },
    hostFreeBytes: () => o.hostFreeBytes,
    changed: () => void changes++,
  })
  const backend = { id: 'd1', state: 'ready', endpoint: d.status.endpoint } as GatewayBackend
  const ask = async () =>
    ((await (await e.post('/v1/chat/completions', chat('qwen'))).json()) as { choices: { message: { content: string } }[] }).choices[0]!
      .message.content
  return { e, d, park, fact, log, backend, ask, changes: () => changes }
}

describe('SleepPark', () => {
  it('parks at level 1 when host RAM holds the weights: sleeping, memory kept reported, woken with its wake seconds', async () => {
    const s = await setup({ hostFreeBytes: 64 * GiB })
    const awake = usedMiB()
    expect(await s.park.park(s.d)).toBe(true)
    expect(s.park.view(s.backend, s.d)).toMatchObject({ state: 'sleeping', endpoint: null })
    expect(usedMiB()).toBeLessThan(awake)
    const asleep = await s.fact(0)
    expect(asleep).toMatchObject({ event: 'asleep', level: 1 })
    expect(asleep.backedUpBytes! / GiB).toBeCloseTo(1.2, 1)
    expect(asleep.stillInUseBytes).toBeGreaterThan(0)
    await s.park.wake(s.d, async () => expect.fail('no fallback'))
    expect(s.park.view(s.backend, s.d)).toBe(s.backend)
    expect(usedMiB()).toBe(awake)
    const awoke = await s.fact(1)
    expect(awoke).toMatchObject({ event: 'awake', level: 1 })
    expect(awoke.wakeSeconds).toBeGreaterThan(0)
    expect(await s.ask()).toMatch(/^[A-Z][a-z]/)
    expect(s.changes()).toBeGreaterThan(0)
  })

  it('parks at level 2 without host RAM for the weights, and wakes in the four steps (the model answers sense)', async () => {
    const s = await setup({ hostFreeBytes: 1 * GiB })
    expect(await s.park.park(s.d)).toBe(true)
    expect(await s.fact(0)).toMatchObject({ event: 'asleep', level: 2, backedUpBytes: 0 })
    await s.park.wake(s.d, async () => expect.fail('no fallback'))
    expect(await s.ask()).toMatch(/^[A-Z][a-z]/)
  })

  it("a sleep or wake is not held up by the log: its facts are reported once vLLM's lines show", async () => {
    const s = await setup({ hostFreeBytes: 64 * GiB, linesTimeoutMs: 60_000 })
    s.log.hidden = true
    // With the lines missing for up to a minute, park and wake still return as soon as vLLM has answered.
    expect(await s.park.park(s.d)).toBe(true)
    await s.park.wake(s.d, async () => expect.fail('no fallback'))
    expect(await s.ask()).toMatch(/^[A-Z][a-z]/)
    s.log.hidden = false
    // (Level 2: without the startup line the weights' size is unknown, so host RAM cannot be said to hold them.)
    expect(await s.fact(0)).toMatchObject({ event: 'asleep', level: 2 })
    expect(await s.fact(1)).toMatchObject({ event: 'awake', level: 2 })
    expect((await s.fact(1)).wakeSeconds).toBeGreaterThan(0)
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
