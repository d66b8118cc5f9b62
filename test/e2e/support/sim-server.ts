import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { seedModel } from '../../sim/seed.js'
import { down, up } from '../../sim/sim.js'
import { type RunningServer, startServer } from './server'

export interface SimServer {
  sim: Awaited<ReturnType<typeof up>>
  server: RunningServer
  /** The seeded chat model's repo id. */
  model: string
  /** Stops the server, removes the vLLM containers it left and the private engine if this spec started it. */
  stop: () => Promise<void>
}

/**
 * A headless server of its own on the simulated workstation (test/sim): a fresh home with `settings`, one seeded
 * chat model, the private Docker engine and the nvidia-smi stand-in.
 */
export async function simServer(prefix: string, settings: Record<string, unknown>): Promise<SimServer> {
  const sim = await up({ engine: 'private' })
  const home = mkdtempSync(join(tmpdir(), `inferadmin-e2e-${prefix}-`))
  writeFileSync(join(home, 'settings.json'), JSON.stringify(settings))
  const model = (await seedModel(join(home, 'models'), { kind: 'chat' })).repo
  const server = await startServer({
    home,
    env: { DOCKER_HOST: sim.env.DOCKER_HOST, INFERADMIN_NVIDIA_SMI: sim.env.INFERADMIN_NVIDIA_SMI },
  })
  const stop = async (): Promise<void> => {
    await server.stop()
    const docker = new Docker({ socketPath: sim.env.DOCKER_HOST!.replace(/^unix:\/\//, '') })
    const filters = JSON.stringify({ label: ['inferadmin.kind=vllm'] })
    for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true })
    if (sim.startedEngine) await down()
  }
  return { sim, server, model, stop }
}
