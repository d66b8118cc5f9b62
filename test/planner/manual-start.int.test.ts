import { beforeAll, describe, expect, it } from 'vitest'
import type { Deployment, DeploymentSpecInput } from '../../src/shared/contract/deployments'
import { setExternalUsage } from '../sim/gpus/state.js'
import { action, createDeployment, ourContainers, waitFor, waitState } from '../deployments/support'
import { chatModels, usePlannerSim } from './support'

// Manual starts (POST /deployments/{id}/start, as the Deployments page's Start) go through the memory planner like
// gateway starts (#16): computed utilizations, an idle model evicted for one that does not fit, and a start that
// cannot fit refused at once with what holds the memory and the fix — no container created for it.
const sim = usePlannerSim({ home: 'inferadmin-manual-', models: chatModels('chat-', ['a', 'b', 'big']) })
const { ids, planner, decisions, state } = sim
const specs: Record<string, DeploymentSpecInput> = {}
const start = async (name: string): Promise<void> => void (await action(sim.server, ids[name]!, 'start'))

beforeAll(async () => {
  specs.a = sim.spec('a')
  specs.b = sim.spec('b')
  // One full 40,960-token request × 3: about 15 GiB, more than is left beside a and b (as in planner.int.test.ts).
  specs.big = sim.spec('big', { memory: { mode: 'auto', contextTokens: 40_960, sequences: 3 } })
  for (const n of ['a', 'b', 'big']) ids[n] = (await createDeployment(sim.server, specs[n]!)).definition.id
}, 60_000)

describe('manual starts through the memory planner', { shuffle: false }, () => {
  it('starts two small models by hand with computed utilizations (not vLLM’s default 0.92)', async () => {
    await start('a')
    await waitState(sim.server, ids.a!, 'ready', 60_000)
    await start('b')
    await waitState(sim.server, ids.b!, 'ready', 60_000)
    const us = (await planner()).gpus[0]!.reservations.map((r) => r.utilization)
    expect(us).toHaveLength(2)
    expect(us.every((u) => u !== null && u > 0.1 && u < 0.5)).toBe(true)
    expect((await decisions()).filter((d) => d.kind === 'start').map((d) => d.model)).toEqual(['b', 'a'])
  }, 150_000)

  it('a manual start that does not fit evicts one idle model and starts', async () => {
    await start('big')
    await waitState(sim.server, ids.big!, 'ready', 90_000)
    const states = [await state('a'), await state('b')]
    expect(states.filter((s) => s === 'stopped')).toHaveLength(1)
    const evictions = (await decisions()).filter((d) => d.kind === 'evict')
    expect(evictions).toHaveLength(1)
    expect(evictions[0]).toMatchObject({ model: 'big' })
    expect(evictions[0]!.reason).toMatch(/^stopped (a|b): .*\(for big\)$/)
  }, 150_000)

  it('a manual start that cannot fit fails at once naming what holds the memory and the fix; no container is made', async () => {
    // The running models are hand-started ("off": never evicted) and other programs take 3000 MiB.
    const running = (await state('a')) === 'ready' ? 'a' : 'b'
    const stopped = running === 'a' ? 'b' : 'a'
    for (const n of ['big', running]) {
      const r = await sim.server.api<Deployment>('PUT', `/deployments/${ids[n]}`, { ...specs[n], serve: 'off' })
      expect(r.status).toBe(200)
    }
    setExternalUsage(sim.env.INFERADMIN_SIM_GPU_DIR!, 0, 3000)
    await waitFor('the planner sees the external use', async () =>
      (await planner()).gpus[0]!.externalBytes >= 3000 * 1024 ** 2 ? true : undefined,
    )
    const before = (await ourContainers(sim.docker)).length
    await start(stopped)
    const d = await waitState(sim.server, ids[stopped]!, 'failed', 20_000)
    expect(d.status.diagnosis?.reason).toMatch(
      new RegExp(
        `^Not enough GPU memory to start ${stopped}: GPU 0 .*held by .*(big|${running}) \\d+\\.\\d\\d GiB .*other programs \\d+\\.\\d\\d GiB`,
      ),
    )
    expect(d.status.diagnosis?.hint).toMatch(
      /^Stop .* or set it to on-demand; free the memory other programs hold on GPU 0 .*then start it again\.$/,
    )
    expect((await ourContainers(sim.docker)).length).toBe(before)
    expect([await state('big'), await state(running)]).toEqual(['ready', 'ready'])
    expect((await decisions())[0]).toMatchObject({ kind: 'refuse', model: stopped })
  }, 90_000)
})
