import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { PROFILES } from '../sim/gpus/profiles.js'
import { startHubSim } from '../sim/hub/server.js'
import { healthy, logs, removeTestContainers, request, runVllm, useSim } from '../sim/support'
import { makeStore, TINY, type Store } from './support'

/**
 * Acceptance: a pulled model is a valid HF cache — the simulated vLLM container (real dockerd from
 * `sim up`) serves it with HF_HUB_OFFLINE=1 from the store mounted read-only.
 */
const { env, docker } = useSim()
const [gpu0] = PROFILES.default!.gpus
type Sim = Awaited<ReturnType<typeof startHubSim>>
let sim: Sim
let s: Store

beforeAll(async () => {
  sim = await startHubSim()
  s = await makeStore(sim.url)
})
afterEach(async () => {
  await removeTestContainers(docker)
})
afterAll(async () => {
  await s.dispose()
  await sim.close()
})

describe('a pulled model in the simulated vLLM container', () => {
  it('loads offline from a read-only mount of the store and serves it', async () => {
    const job = await s.models.pull({ repo: TINY })
    expect((await s.waitJob(job.id, ['done', 'failed'])).state).toBe('done')

    const { container, port } = await runVllm(docker, {
      image: `${env.INFERADMIN_SIM_VLLM_IMAGE}:latest`,
      hubDir: s.store,
      gpus: [gpu0!.uuid],
      args: [TINY, '--gpu-memory-utilization', '0.3'],
    })
    await healthy(port, 20_000)
    const models = (await (await request(port, '/v1/models')).json()) as { data: { id: string }[] }
    expect(models.data.map((m) => m.id)).toContain(TINY)
    const text = (await logs(container)).all
    expect(text).toMatch(/Resolved architecture: LlamaForCausalLM/)
    const mounts = (await container.inspect()).Mounts
    expect(mounts.find((m) => m.Destination === '/root/.cache/huggingface/hub')?.RW).toBe(false)
  })
})
