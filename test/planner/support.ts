import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import OpenAI from 'openai'
import { afterAll, beforeAll, inject } from 'vitest'
import type { DeploymentSpecInput } from '../../src/shared/contract/deployments'
import type { GatewayStatus } from '../../src/shared/contract/gateway'
import type { PlannerDecision, PlannerStatus } from '../../src/shared/contract/planner'
import { setExternalUsage } from '../sim/gpus/state.js'
import { PROFILES } from '../sim/gpus/profiles.js'
import { freePort } from '../sim/ports.js'
import { seedModel, type SeedOptions } from '../sim/seed.js'
import { getDeployment, ourContainers, serve, waitFor, type Server } from '../deployments/support'

/** The simulated workstation's first GPU (an RTX 4090), where these tests put their models. */
export const gpu0 = PROFILES.default!.gpus[0]!

/** `sim/<prefix><name>` chat models by name, for `usePlannerSim`'s `models`. */
export const chatModels = (prefix: string, names: string[]): Record<string, SeedOptions> =>
  Object.fromEntries(names.map((n) => [n, { kind: 'chat', repo: `sim/${prefix}${n}` }]))

/** One server on the simulated workstation (see `usePlannerSim`); its methods are bound (destructure them freely). */
export class PlannerSim {
  env!: Record<string, string>
  docker!: Docker
  home!: string
  /** The running server; `serve()` replaces it. */
  server!: Server
  /** The gateway's OpenAI base URL. */
  gatewayUrl!: string
  /** Seeded repo and commit by the name given in `models`. */
  readonly repos: Record<string, string> = {}
  readonly commits: Record<string, string> = {}
  /** Deployment ids by name, for the file to fill. */
  readonly ids: Record<string, string> = {}

  /** Start the server on the home and wait for its gateway (again after a kill: a restart). */
  serve = async (): Promise<void> => {
    this.server = await serve(this.home, { DOCKER_HOST: this.env.DOCKER_HOST!, INFERADMIN_NVIDIA_SMI: this.env.INFERADMIN_NVIDIA_SMI! })
    this.gatewayUrl = await waitFor(
      'the gateway listening',
      async () => (await this.server.api<GatewayStatus>('GET', '/gateway')).body.url ?? undefined,
    )
  }

  /** A deployment of the seeded model `name` on GPU 0, with the sim's speed-up. */
  spec = (name: string, extra: Partial<DeploymentSpecInput> = {}): DeploymentSpecInput => ({
    name,
    model: { repo: this.repos[name]!, revision: 'main' },
    image: `${this.env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
    gpus: [gpu0.uuid],
    env: { INFERADMIN_SIM_SPEED: '4' },
    ...extra,
  })

  planner = async (): Promise<PlannerStatus> => (await this.server.api<PlannerStatus>('GET', '/planner')).body
  /** The planner's log, newest first. */
  decisions = async (limit = 100): Promise<PlannerDecision[]> =>
    (await this.server.api<PlannerDecision[]>('GET', `/planner/log?limit=${limit}`)).body
  /** The state of deployment `name` (by `ids`). */
  state = async (name: string): Promise<string> => (await getDeployment(this.server, this.ids[name]!)).status.state
  client = (): OpenAI => new OpenAI({ baseURL: this.gatewayUrl, apiKey: 'EMPTY', maxRetries: 0, timeout: 120_000 })
  /** A 2-token chat completion through the gateway for the seeded model `name`. */
  ask = (name: string): Promise<OpenAI.Chat.Completions.ChatCompletion> =>
    this.client().chat.completions.create({ model: this.repos[name]!, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 })
}

/**
 * One real headless server on the simulated workstation for a test file, registered as beforeAll/afterAll: none of
 * our containers left from before, no external GPU use, a temporary home with `models` seeded and quick GPU/container
 * refresh (plus `settings`), the gateway on a free port and listening. After the file: the server killed, our
 * containers removed, external use reset, the home deleted. The file's own beforeAll runs after this one.
 */
export function usePlannerSim(o: { home: string; models: Record<string, SeedOptions>; settings?: Record<string, unknown> }): PlannerSim {
  const sim = new PlannerSim()
  const removeOurContainers = async (): Promise<void> => {
    for (const c of await ourContainers(sim.docker)) await sim.docker.getContainer(c.Id).remove({ force: true })
  }

  beforeAll(async () => {
    sim.env = inject('simEnv')
    if (!sim.env) throw new Error('no simEnv: run this file in the vitest "sim" project')
    sim.docker = new Docker({ socketPath: sim.env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
    await removeOurContainers()
    setExternalUsage(sim.env.INFERADMIN_SIM_GPU_DIR!, 0, 0)
    sim.home = mkdtempSync(join(tmpdir(), o.home))
    for (const [name, seed] of Object.entries(o.models)) {
      const s = await seedModel(join(sim.home, 'models'), seed)
      sim.repos[name] = s.repo
      sim.commits[name] = s.commit
    }
    const settings = { gpuRefreshMs: 500, containerRefreshMs: 2000, gatewayPort: await freePort(), ...o.settings }
    writeFileSync(join(sim.home, 'settings.json'), JSON.stringify(settings))
    await sim.serve()
  }, 180_000)

  afterAll(async () => {
    if (sim.env) setExternalUsage(sim.env.INFERADMIN_SIM_GPU_DIR!, 0, 0)
    await sim.server?.kill('SIGKILL')
    if (sim.docker) await removeOurContainers()
    if (sim.home) rmSync(sim.home, { recursive: true, force: true })
  })

  return sim
}
