import { beforeAll, describe, expect, it } from 'vitest'
import type { PlannerStatus } from '../../src/shared/contract/planner'
import { smi } from '../sim/support'
import { createDeployment, getDeployment, waitFor } from '../deployments/support'
import { gpu0, usePlannerSim } from '../planner/support'

// #16 point 7: an idle model with sleep mode sleeps instead of stopping (its GPU memory drops but not to zero, the
// container keeps running) and the next request wakes it, faster than its cold start. Then the planner's accounting of
// it: its whole reservation awake, only what it keeps asleep, and another model admitted into the room it gave back.
const sim = usePlannerSim({
  home: 'inferadmin-sleep-',
  models: { sleepy: { kind: 'chat' }, other: { kind: 'chat', repo: 'sim/sleep-other' } },
  settings: { listenInterface: '0.0.0.0' },
})
const { client } = sim
let repo: string
let id: string

const planned = async (): Promise<PlannerStatus['gpus'][number]> => (await sim.planner()).gpus[0]!
const reservation = async (name: string) => (await planned()).reservations.find((r) => r.name === name)
const used = async (): Promise<number> =>
  Number((await smi([`--id=${gpu0.uuid}`, '--query-gpu=memory.used', '--format=csv,noheader,nounits'])).stdout.trim())
const modelState = async (model = repo): Promise<string | undefined> => {
  const list = (await client().models.list()).data as unknown as { id: string; state: string }[]
  return list.find((m) => m.id === model)?.state
}
const ask = async (): Promise<[string, number]> => {
  const t = Date.now()
  const r = await client().chat.completions.create({ model: repo, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 4 })
  return [r.choices[0]?.message.content ?? '', Date.now() - t]
}

beforeAll(async () => {
  process.env.INFERADMIN_NVIDIA_SMI = sim.env.INFERADMIN_NVIDIA_SMI // for smi()
  repo = sim.repos.sleepy!
  const d = await createDeployment(
    sim.server,
    sim.spec('sleepy', {
      args: { '--gpu-memory-utilization': 0.5 },
      sleepMode: 'auto',
      idleMinutes: 0, // never, until the GPU was read awake
    }),
  )
  id = d.definition.id
}, 60_000)

describe('vLLM sleep mode behind the gateway', { shuffle: false }, () => {
  it('idle → sleeping (GPU memory drops, not to zero; the container runs on); a request wakes it faster than a cold start', async () => {
    const idle = await used()
    const [first, coldMs] = await ask()
    expect(first).toMatch(/\S/)
    const awake = await used()
    expect(awake).toBeGreaterThan(idle + 2000) // weights + KV of a 0.5 utilization on a 24 GiB card
    const { definition, status } = await getDeployment(sim.server, id)
    const container = status.containerId
    const { id: _i, createdAt: _c, updatedAt: _u, ...spec } = definition
    expect((await sim.server.api('PUT', `/deployments/${id}`, { ...spec, idleMinutes: 0.005 })).status).toBe(200) // 0.3 s

    await waitFor('the model asleep', async () => ((await modelState()) === 'sleeping' ? true : undefined), 30_000)
    const asleep = await used()
    expect(asleep).toBeLessThan(awake - 2000)
    expect(asleep).toBeGreaterThan(idle) // CUDA context, activations and graph pool stay (gateway-facts §1.4)
    const d = await getDeployment(sim.server, id)
    expect(d.status.state).toBe('ready')
    expect(d.status.containerId).toBe(container)
    const log = (await sim.server.api<{ lines: { text: string }[] }>('GET', `/deployments/${id}/logs?tail=200`)).body.lines.map(
      (l) => l.text,
    )
    expect(log.some((l) => /Sleep mode freed [\d.]+ GiB memory, [\d.]+ GiB memory is still in use\./.test(l))).toBe(true)

    expect((await sim.server.api('PUT', `/deployments/${id}`, { ...spec, idleMinutes: 0 })).status).toBe(200) // stay awake after the wake
    const [again, wakeMs] = await ask()
    expect(again).toMatch(/\S/)
    expect(wakeMs).toBeLessThan(coldMs / 2)
    expect(await used()).toBe(awake)
    expect((await getDeployment(sim.server, id)).status.containerId).toBe(container)
  })

  it('the planner counts its whole reservation awake, only what it keeps asleep, and admits another model into the room', async () => {
    const awake = (await reservation('sleepy'))!
    const total = (await planned()).totalBytes
    expect(awake).toMatchObject({ state: 'running', utilization: 0.5 })
    expect(awake.bytes).toBeGreaterThanOrEqual(0.5 * total)
    const { definition } = await getDeployment(sim.server, id)
    const container = (await getDeployment(sim.server, id)).status.containerId
    const { id: _i, createdAt: _c, updatedAt: _u, ...spec } = definition
    expect((await sim.server.api('PUT', `/deployments/${id}`, { ...spec, idleMinutes: 0.005 })).status).toBe(200)
    await waitFor('the model asleep', async () => ((await modelState()) === 'sleeping' ? true : undefined), 30_000)
    const asleep = await waitFor('the planner counting only what it keeps', async () => {
      const r = await reservation('sleepy')
      return r?.state === 'sleeping' && r.bytes < awake.bytes - 2 * 1024 ** 3 ? r : undefined
    })
    expect(asleep.bytes).toBeGreaterThan(0) // its CUDA context and graph pool stay
    // 0.5 + 0.6 > 0.95: the other model fits only in the room the sleeping one gave back.
    const other = await createDeployment(sim.server, sim.spec('other', { args: { '--gpu-memory-utilization': 0.6 } }))
    const r = await sim.ask('other')
    expect(r.choices).toHaveLength(1)
    expect((await getDeployment(sim.server, other.definition.id)).status.state).toBe('ready')
    expect(await modelState()).toBe('sleeping')
    expect((await getDeployment(sim.server, id)).status.containerId).toBe(container)
    const log = await sim.decisions()
    // Started beside it, nothing evicted or refused (it may have waited for the GPU sample after the sleep).
    expect(log.filter((d) => d.model === 'other' && d.kind !== 'wait').map((d) => d.kind)).toEqual(['start'])
    const g = await planned()
    const byName = Object.fromEntries(g.reservations.map((x) => [x.name, x]))
    expect(byName.sleepy?.state).toBe('sleeping')
    expect(Math.abs(byName.sleepy!.bytes - asleep.bytes)).toBeLessThan(16 * 1024 ** 2) // learned keeps vs a fresh sample
    expect(byName.other).toMatchObject({ state: 'running', utilization: 0.6 })
    expect(byName.sleepy!.bytes + byName.other!.bytes + g.externalBytes).toBeLessThanOrEqual(0.95 * total)
  })
})
