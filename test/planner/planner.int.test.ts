import { beforeAll, describe, expect, it } from 'vitest'
import { setExternalUsage } from '../sim/gpus/state.js'
import { createDeployment, getDeployment, waitFor } from '../deployments/support'
import { chatModels, usePlannerSim } from './support'

// The memory planner in the real headless server against the simulated workstation (#16 acceptance): models on one
// RTX 4090 started by gateway requests with computed utilizations, an eviction for one that does not fit, and
// external use added mid-run respected by the next admission. No start may fail with vLLM's free-memory message.
const sim = usePlannerSim({ home: 'inferadmin-planner-', models: chatModels('chat-', ['a', 'b', 'big']) })
const { ids, planner, decisions, state, ask } = sim

beforeAll(async () => {
  ids.a = (await createDeployment(sim.server, sim.spec('a'))).definition.id
  ids.b = (await createDeployment(sim.server, sim.spec('b'))).definition.id
  // One full 40,960-token request × 3: about 15 GiB, more than is left beside a and b.
  const big = { memory: { mode: 'auto' as const, contextTokens: 40_960, sequences: 3 } }
  ids.big = (await createDeployment(sim.server, sim.spec('big', big))).definition.id
}, 60_000)

describe('the memory planner on the simulated workstation', { shuffle: false }, () => {
  it('starts a second small model beside the first, with computed utilizations summing ≤ 0.95', async () => {
    await ask('a')
    await ask('b')
    expect([await state('a'), await state('b')]).toEqual(['ready', 'ready'])
    const g = (await planner()).gpus[0]!
    const us = g.reservations.map((r) => r.utilization)
    expect(us).toHaveLength(2)
    expect(us.every((u) => u !== null && u > 0.1 && u < 0.5)).toBe(true)
    expect(us.reduce((s, u) => s! + u!, 0)).toBeLessThanOrEqual(0.95)
    expect((await decisions()).filter((d) => d.kind === 'start').map((d) => d.model)).toEqual(['b', 'a'])
  })

  it('a model that does not fit evicts exactly one idle model and starts', async () => {
    expect((await ask('big')).choices).toHaveLength(1)
    expect(await state('big')).toBe('ready')
    const states = [await state('a'), await state('b')]
    // One eviction is enough by the numbers (a stale compute-apps sample once made b's memory look external: gpu-view.test).
    expect(states.filter((s) => s === 'stopped')).toHaveLength(1)
    const evictions = (await decisions()).filter((d) => d.kind === 'evict')
    expect(evictions).toHaveLength(1)
    expect(evictions[0]!.reason).toMatch(/^stopped (a|b): .*reload/)
  })

  it('3000 MiB of external use added mid-run is respected by the next admission; no start failed', async () => {
    setExternalUsage(sim.env.INFERADMIN_SIM_GPU_DIR!, 0, 3000)
    await waitFor('the planner sees the external use', async () =>
      (await planner()).gpus[0]!.externalBytes >= 3000 * 1024 ** 2 ? true : undefined,
    )
    const stopped = (await state('a')) === 'stopped' ? 'a' : 'b'
    expect(await state(stopped)).toBe('stopped')
    expect((await ask(stopped)).choices).toHaveLength(1)
    const g = (await planner()).gpus[0]!
    const ours = g.reservations.reduce((s, r) => s + r.bytes, 0)
    expect(ours + g.externalBytes).toBeLessThanOrEqual(0.95 * g.totalBytes + 1024 ** 2)
    for (const n of ['a', 'b', 'big']) {
      const d = await getDeployment(sim.server, ids[n]!)
      expect(d.status.state).not.toBe('failed')
      expect(d.status.diagnosis?.reason ?? '').not.toMatch(/Free memory on device/)
    }
  })
})
