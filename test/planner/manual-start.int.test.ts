import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Deployment, DeploymentSpecInput } from '../../src/shared/contract/deployments'
import type { GatewayStatus } from '../../src/shared/contract/gateway'
import type { PlannerDecision, PlannerStatus } from '../../src/shared/contract/planner'
import { setExternalUsage } from '../sim/gpus/state.js'
import { PROFILES } from '../sim/gpus/profiles.js'
import { freePort } from '../sim/ports.js'
import { seedModel } from '../sim/seed.js'
import { action, createDeployment, getDeployment, ourContainers, serve, waitFor, waitState, type Server } from '../deployments/support'

// Manual starts (POST /deployments/{id}/start, as the Deployments page's Start) go through the memory planner like
// gateway starts (#16): computed utilizations, an idle model evicted for one that does not fit, and a start that
// cannot fit refused at once with what holds the memory and the fix — no container created for it.
const [gpu0] = PROFILES.default!.gpus
let env: Record<string, string>
let docker: Docker
let home: string
let server: Server
const specs: Record<string, DeploymentSpecInput> = {}
const ids: Record<string, string> = {}

const spec = (name: string, repo: string, extra: Partial<DeploymentSpecInput> = {}): DeploymentSpecInput => ({
  name,
  model: { repo, revision: 'main' },
  image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
  gpus: [gpu0!.uuid],
  env: { INFERADMIN_SIM_SPEED: '4' },
  ...extra,
})
const planner = async (): Promise<PlannerStatus> => (await server.api<PlannerStatus>('GET', '/planner')).body
const decisions = async (): Promise<PlannerDecision[]> => (await server.api<PlannerDecision[]>('GET', '/planner/log?limit=100')).body
const state = async (name: string): Promise<string> => (await getDeployment(server, ids[name]!)).status.state
const start = async (name: string): Promise<void> => void (await action(server, ids[name]!, 'start'))

beforeAll(async () => {
  env = inject('simEnv')
  if (!env) throw new Error('no simEnv: run this file in the vitest "sim" project')
  docker = new Docker({ socketPath: env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
  for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  setExternalUsage(env.INFERADMIN_SIM_GPU_DIR!, 0, 0)
  home = mkdtempSync(join(tmpdir(), 'inferadmin-manual-'))
  const repos: Record<string, string> = {}
  for (const n of ['a', 'b', 'big']) repos[n] = (await seedModel(join(home, 'models'), { kind: 'chat', repo: `sim/chat-${n}` })).repo
  writeFileSync(join(home, 'settings.json'), JSON.stringify({ gpuRefreshMs: 500, containerRefreshMs: 2000, gatewayPort: await freePort() }))
  server = await serve(home, { DOCKER_HOST: env.DOCKER_HOST!, INFERADMIN_NVIDIA_SMI: env.INFERADMIN_NVIDIA_SMI! })
  await waitFor('the gateway listening', async () => (await server.api<GatewayStatus>('GET', '/gateway')).body.url ?? undefined)
  specs.a = spec('a', repos.a!)
  specs.b = spec('b', repos.b!)
  // One full 40,960-token request × 3: about 15 GiB, more than is left beside a and b (as in planner.int.test.ts).
  specs.big = spec('big', repos.big!, { memory: { mode: 'auto', contextTokens: 40_960, sequences: 3 } })
  for (const n of ['a', 'b', 'big']) ids[n] = (await createDeployment(server, specs[n]!)).definition.id
}, 180_000)

afterAll(async () => {
  if (env) setExternalUsage(env.INFERADMIN_SIM_GPU_DIR!, 0, 0)
  await server?.kill('SIGKILL')
  if (docker) for (const c of await ourContainers(docker)) await docker.getContainer(c.Id).remove({ force: true })
  if (home) rmSync(home, { recursive: true, force: true })
})

describe('manual starts through the memory planner', { shuffle: false }, () => {
  it('starts two small models by hand with computed utilizations (not vLLM’s default 0.92)', async () => {
    await start('a')
    await waitState(server, ids.a!, 'ready', 60_000)
    await start('b')
    await waitState(server, ids.b!, 'ready', 60_000)
    const us = (await planner()).gpus[0]!.reservations.map((r) => r.utilization)
    expect(us).toHaveLength(2)
    expect(us.every((u) => u !== null && u > 0.1 && u < 0.5)).toBe(true)
    expect((await decisions()).filter((d) => d.kind === 'start').map((d) => d.model)).toEqual(['b', 'a'])
  }, 150_000)

  it('a manual start that does not fit evicts one idle model and starts', async () => {
    await start('big')
    await waitState(server, ids.big!, 'ready', 90_000)
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
      const r = await server.api<Deployment>('PUT', `/deployments/${ids[n]}`, { ...specs[n], serve: 'off' })
      expect(r.status).toBe(200)
    }
    setExternalUsage(env.INFERADMIN_SIM_GPU_DIR!, 0, 3000)
    await waitFor('the planner sees the external use', async () =>
      (await planner()).gpus[0]!.externalBytes >= 3000 * 1024 ** 2 ? true : undefined,
    )
    const before = (await ourContainers(docker)).length
    await start(stopped)
    const d = await waitState(server, ids[stopped]!, 'failed', 20_000)
    expect(d.status.diagnosis?.reason).toMatch(
      new RegExp(
        `^Not enough GPU memory to start ${stopped}: GPU 0 .*held by .*(big|${running}) \\d+\\.\\d\\d GiB .*other programs \\d+\\.\\d\\d GiB`,
      ),
    )
    expect(d.status.diagnosis?.hint).toMatch(
      /^Stop .* or set it to on-demand; free the memory other programs hold on GPU 0 .*then start it again\.$/,
    )
    expect((await ourContainers(docker)).length).toBe(before)
    expect([await state('big'), await state(running)]).toEqual(['ready', 'ready'])
    expect((await decisions())[0]).toMatchObject({ kind: 'refuse', model: stopped })
  }, 90_000)
})
