import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { DeploymentSpecInput } from '../../src/shared/contract/deployments'
import type { GatewayStatus } from '../../src/shared/contract/gateway'
import type { PlannerDecision, PlannerStatus } from '../../src/shared/contract/planner'
import { setExternalUsage } from '../sim/gpus/state.js'
import { PROFILES } from '../sim/gpus/profiles.js'
import { freePort } from '../sim/ports.js'
import { seedModel } from '../sim/seed.js'
import { createDeployment, getDeployment, ourContainers, serve, waitFor, type Server } from '../deployments/support'

// The memory planner in the real headless server against the simulated workstation (#16 acceptance): models on one
// RTX 4090 started by gateway requests with computed utilizations, an eviction for one that does not fit, and
// external use added mid-run respected by the next admission. No start may fail with vLLM's free-memory message.
const [gpu0] = PROFILES.default!.gpus
let env: Record<string, string>
let docker: Docker
let home: string
let server: Server
let gatewayUrl: string
const repos: Record<string, string> = {}
const ids: Record<string, string> = {}

const spec = (name: string, repo: string, extra: Partial<DeploymentSpecInput> = {}): DeploymentSpecInput => ({
  name,
  model: { repo, revision: 'main' },
  image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
  gpus: [gpu0!.uuid],
  env: { INFERADMIN_SIM_SPEED: '4' },
  ...extra,
})
const client = (): OpenAI => new OpenAI({ baseURL: gatewayUrl, apiKey: 'EMPTY', maxRetries: 0, timeout: 120_000 })
const ask = (model: string) => client().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 })
const planner = async (): Promise<PlannerStatus> => (await server.api<PlannerStatus>('GET', '/planner')).body
const decisions = async (): Promise<PlannerDecision[]> => (await server.api<PlannerDecision[]>('GET', '/planner/log?limit=100')).body
const state = async (name: string): Promise<string> => (await getDeployment(server, ids[name]!)).status.state

beforeAll(async () => {
  env = inject('simEnv')
  if (!env) throw new Error('no simEnv: run this file in the vitest "sim" project')
  docker = new Docker({ socketPath: env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
  for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  setExternalUsage(env.INFERADMIN_SIM_GPU_DIR!, 0, 0)
  home = mkdtempSync(join(tmpdir(), 'inferadmin-planner-'))
  for (const n of ['a', 'b', 'big']) repos[n] = (await seedModel(join(home, 'models'), { kind: 'chat', repo: `sim/chat-${n}` })).repo
  const settings = { gpuRefreshMs: 500, containerRefreshMs: 2000, gatewayPort: await freePort() }
  writeFileSync(join(home, 'settings.json'), JSON.stringify(settings))
  server = await serve(home, { DOCKER_HOST: env.DOCKER_HOST!, INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI! })
  gatewayUrl = (await waitFor(
    'the gateway listening',
    async () => (await (await server.api<GatewayStatus>('GET', '/gateway')).body).url ?? undefined,
  )) as string
  ids.a = (await createDeployment(server, spec('a', repos.a!))).definition.id
  ids.b = (await createDeployment(server, spec('b', repos.b!))).definition.id
  // One full 40,960-token request × 3: about 15 GiB, more than is left beside a and b.
  const big = { memory: { mode: 'auto' as const, contextTokens: 40_960, sequences: 3 } }
  ids.big = (await createDeployment(server, spec('big', repos.big!, big))).definition.id
}, 180_000)

afterAll(async () => {
  if (env) setExternalUsage(env.INFERADMIN_SIM_GPU_DIR!, 0, 0)
  await server?.kill('SIGKILL')
  if (docker) for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  if (home) rmSync(home, { recursive: true, force: true })
})

describe('the memory planner on the simulated workstation', { shuffle: false }, () => {
  it('starts a second small model beside the first, with computed utilizations summing ≤ 0.95', async () => {
    await ask(repos.a!)
    await ask(repos.b!)
    expect([await state('a'), await state('b')]).toEqual(['ready', 'ready'])
    const g = (await planner()).gpus[0]!
    const us = g.reservations.map((r) => r.utilization)
    expect(us).toHaveLength(2)
    expect(us.every((u) => u !== null && u > 0.1 && u < 0.5)).toBe(true)
    expect(us.reduce((s, u) => s! + u!, 0)).toBeLessThanOrEqual(0.95)
    expect((await decisions()).filter((d) => d.kind === 'start').map((d) => d.model)).toEqual(['b', 'a'])
  })

  it('a model that does not fit evicts exactly one idle model and starts', async () => {
    expect((await ask(repos.big!)).choices).toHaveLength(1)
    expect(await state('big')).toBe('ready')
    const states = [await state('a'), await state('b')]
    // One eviction is enough by the numbers (a stale compute-apps sample once made b's memory look external: gpu-view.test).
    expect(states.filter((s) => s === 'stopped')).toHaveLength(1)
    const evictions = (await decisions()).filter((d) => d.kind === 'evict')
    expect(evictions).toHaveLength(1)
    expect(evictions[0]!.reason).toMatch(/^stopped (a|b): .*reload/)
  })

  it('3000 MiB of external use added mid-run is respected by the next admission; no start failed', async () => {
    setExternalUsage(env.INFERADMIN_SIM_GPU_DIR!, 0, 3000)
    await waitFor('the planner sees the external use', async () =>
      (await planner()).gpus[0]!.externalBytes >= 3000 * 1024 ** 2 ? true : undefined,
    )
    const stopped = (await state('a')) === 'stopped' ? 'a' : 'b'
    expect(await state(stopped)).toBe('stopped')
    expect((await ask(repos[stopped]!)).choices).toHaveLength(1)
    const g = (await planner()).gpus[0]!
    const ours = g.reservations.reduce((s, r) => s + r.bytes, 0)
    expect(ours + g.externalBytes).toBeLessThanOrEqual(0.95 * g.totalBytes + 1024 ** 2)
    for (const n of ['a', 'b', 'big']) {
      const d = await getDeployment(server, ids[n]!)
      expect(d.status.state).not.toBe('failed')
      expect(d.status.diagnosis?.reason ?? '').not.toMatch(/Free memory on device/)
    }
  })
})
