import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { GatewayStatus } from '../../src/shared/contract/gateway'
import type { PlannerDecision, PlannerStatus } from '../../src/shared/contract/planner'
import { PROFILES } from '../sim/gpus/profiles.js'
import { freePort } from '../sim/ports.js'
import { seedModel } from '../sim/seed.js'
import { smi } from '../sim/support'
import { createDeployment, getDeployment, ourContainers, serve, waitFor, type Server } from '../deployments/support'

// #16 point 7: an idle model with sleep mode sleeps instead of stopping (its GPU memory drops but not to zero, the
// container keeps running) and the next request wakes it, faster than its cold start. Then the planner's accounting of
// it: its whole reservation awake, only what it keeps asleep, and another model admitted into the room it gave back.
const gpu0 = PROFILES.default!.gpus[0]!
let env: Record<string, string>
let docker: Docker
let home: string
let server: Server
let gatewayUrl: string
let repo: string
let otherRepo: string
let id: string

const gateway = async (): Promise<GatewayStatus> => (await server.api<GatewayStatus>('GET', '/gateway')).body
const planned = async (): Promise<PlannerStatus['gpus'][number]> => (await server.api<PlannerStatus>('GET', '/planner')).body.gpus[0]!
const reservation = async (name: string) => (await planned()).reservations.find((r) => r.name === name)
const client = (): OpenAI => new OpenAI({ baseURL: gatewayUrl, apiKey: 'EMPTY', maxRetries: 0, timeout: 120_000 })
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
  env = inject('simEnv')
  if (!env) throw new Error('no simEnv: run this file in the vitest "sim" project')
  process.env.INFERADMIN_NVIDIA_SMI = env.INFERADMIN_NVIDIA_SMI // for smi()
  docker = new Docker({ socketPath: env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
  for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  home = mkdtempSync(join(tmpdir(), 'inferadmin-sleep-'))
  repo = (await seedModel(join(home, 'models'), { kind: 'chat' })).repo
  otherRepo = (await seedModel(join(home, 'models'), { kind: 'chat', repo: 'sim/sleep-other' })).repo
  const settings = { gpuRefreshMs: 500, containerRefreshMs: 2000, listenInterface: '0.0.0.0', gatewayPort: await freePort() }
  writeFileSync(join(home, 'settings.json'), JSON.stringify(settings))
  server = await serve(home, { DOCKER_HOST: env.DOCKER_HOST!, INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI! })
  gatewayUrl = (await waitFor('the gateway listening', async () => (await gateway()).url ?? undefined)) as string
  const d = await createDeployment(server, {
    name: 'sleepy',
    model: { repo, revision: 'main' },
    image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
    gpus: [gpu0.uuid],
    args: { '--gpu-memory-utilization': 0.5 },
    env: { INFERADMIN_SIM_SPEED: '4' },
    sleepMode: 'auto',
    idleMinutes: 0, // never, until the GPU was read awake
  })
  id = d.definition.id
}, 180_000)

afterAll(async () => {
  await server?.kill('SIGKILL')
  if (docker) for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  if (home) rmSync(home, { recursive: true, force: true })
})

describe('vLLM sleep mode behind the gateway', { shuffle: false }, () => {
  it('idle → sleeping (GPU memory drops, not to zero; the container runs on); a request wakes it faster than a cold start', async () => {
    const idle = await used()
    const [first, coldMs] = await ask()
    expect(first).toMatch(/\S/)
    const awake = await used()
    expect(awake).toBeGreaterThan(idle + 2000) // weights + KV of a 0.5 utilization on a 24 GiB card
    const { definition, status } = await getDeployment(server, id)
    const container = status.containerId
    const { id: _i, createdAt: _c, updatedAt: _u, ...spec } = definition
    expect((await server.api('PUT', `/deployments/${id}`, { ...spec, idleMinutes: 0.005 })).status).toBe(200) // 0.3 s

    await waitFor('the model asleep', async () => ((await modelState()) === 'sleeping' ? true : undefined), 30_000)
    const asleep = await used()
    expect(asleep).toBeLessThan(awake - 2000)
    expect(asleep).toBeGreaterThan(idle) // CUDA context, activations and graph pool stay (gateway-facts §1.4)
    const d = await getDeployment(server, id)
    expect(d.status.state).toBe('ready')
    expect(d.status.containerId).toBe(container)
    const log = (await server.api<{ lines: { text: string }[] }>('GET', `/deployments/${id}/logs?tail=200`)).body.lines.map((l) => l.text)
    expect(log.some((l) => /Sleep mode freed [\d.]+ GiB memory, [\d.]+ GiB memory is still in use\./.test(l))).toBe(true)

    expect((await server.api('PUT', `/deployments/${id}`, { ...spec, idleMinutes: 0 })).status).toBe(200) // stay awake after the wake
    const [again, wakeMs] = await ask()
    expect(again).toMatch(/\S/)
    expect(wakeMs).toBeLessThan(coldMs / 2)
    expect(await used()).toBe(awake)
    expect((await getDeployment(server, id)).status.containerId).toBe(container)
  })

  it('the planner counts its whole reservation awake, only what it keeps asleep, and admits another model into the room', async () => {
    const awake = (await reservation('sleepy'))!
    const total = (await planned()).totalBytes
    expect(awake).toMatchObject({ state: 'running', utilization: 0.5 })
    expect(awake.bytes).toBeGreaterThanOrEqual(0.5 * total)
    const { definition } = await getDeployment(server, id)
    const container = (await getDeployment(server, id)).status.containerId
    const { id: _i, createdAt: _c, updatedAt: _u, ...spec } = definition
    expect((await server.api('PUT', `/deployments/${id}`, { ...spec, idleMinutes: 0.005 })).status).toBe(200)
    await waitFor('the model asleep', async () => ((await modelState()) === 'sleeping' ? true : undefined), 30_000)
    const asleep = await waitFor('the planner counting only what it keeps', async () => {
      const r = await reservation('sleepy')
      return r?.state === 'sleeping' && r.bytes < awake.bytes - 2 * 1024 ** 3 ? r : undefined
    })
    expect(asleep.bytes).toBeGreaterThan(0) // its CUDA context and graph pool stay
    // 0.5 + 0.6 > 0.95: the other model fits only in the room the sleeping one gave back.
    const other = await createDeployment(server, {
      name: 'other',
      model: { repo: otherRepo, revision: 'main' },
      image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
      gpus: [gpu0.uuid],
      args: { '--gpu-memory-utilization': 0.6 },
      env: { INFERADMIN_SIM_SPEED: '4' },
    })
    const r = await client().chat.completions.create({ model: otherRepo, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 })
    expect(r.choices).toHaveLength(1)
    expect((await getDeployment(server, other.definition.id)).status.state).toBe('ready')
    expect(await modelState()).toBe('sleeping')
    expect((await getDeployment(server, id)).status.containerId).toBe(container)
    const log = (await server.api<PlannerDecision[]>('GET', '/planner/log?limit=100')).body
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
